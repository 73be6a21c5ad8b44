// The equivalence oracle on the GPU itself: States the GPU search produces (sketch,
// annotation, mutations) for every operator, generated as CUDA, compiled with NVRTC
// and run on the device through the isolated measurement worker with verification
// on, must all compute what the operator's naive reference computes. The emulated
// oracle (gpu_equivalence_oracle_test.cpp) checks the same States' loop programs on
// the CPU; this one checks the CUDA generator's mapping onto threads, blocks,
// shared memory, barriers and cross-thread reductions. Needs a GPU.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "codegen/codegen_cuda.h"
#include "lower/lower.h"
#include "ops/op_configs.h"
#include "ops/registry.h"
#include "runtime/cuda_driver.h"
#include "runtime/measure.h"
#include "schedule/transform_step.h"
#include "search/sketch_rules.h"
#include "testing/gpu_states.h"

using namespace bcd;

TEST(GpuDeviceOracle, SearchStatesOfEveryOperatorMatchTheReferenceOnTheGpu) {
  std::string why;
  if (!runtime::cuda_device_available(&why)) GTEST_SKIP() << "no CUDA device: " << why;
  constexpr int kStatesPerOp = 12;
  std::set<std::string> seen_ops;
  int checked = 0;
  for (const auto& config : ops::optest::op_configs()) {
    if (!seen_ops.insert(config.op).second) continue;
    SCOPED_TRACE(config.op + " " + config.params);
    ops::OpInstance inst = ops::build_op(config.op, ops::OpParams::parse(config.params));
    search::SearchTask task = testutil::gpu_task(inst.dag);
    std::vector<schedule::State> sketches = search::generate_sketches(task);
    search::FactorizationCache cache;
    std::mt19937_64 rng(seen_ops.size());

    runtime::RunSpec spec;
    for (size_t i = 0; i < inst.dag.inputs().size(); ++i) {
      spec.input_shapes.push_back(inst.dag.inputs()[i]->shape);
      spec.inputs.emplace_back(inst.dag.inputs()[i]->shape);
      auto [low, high] = i < inst.input_ranges.size() ? inst.input_ranges[i] : std::pair{config.low, config.high};
      spec.inputs.back().fill_random(rng, low, high);
    }
    for (const auto& t : inst.dag.outputs()) spec.output_shapes.push_back(t->shape);
    std::vector<const NDArray*> input_ptrs;
    for (const auto& a : spec.inputs) input_ptrs.push_back(&a);
    spec.expected = inst.reference(input_ptrs);

    std::vector<runtime::BuildInput> inputs;
    std::vector<std::string> histories;
    for (int k = 0; k < kStatesPerOp; ++k) {
      schedule::State s = testutil::sample_gpu_state(task, sketches, cache, rng);
      runtime::BuildInput in;
      in.kernel_name = "oracle";
      in.target = "cuda";
      in.source = codegen::codegen_cuda({lower::lower_state(s, in.kernel_name)});
      inputs.push_back(in);
      histories.push_back(schedule::history_to_json(s.history()).dump());
    }
    std::vector<runtime::BuildResult> built = runtime::build_all(inputs);
    runtime::RunnerOptions runner;
    runner.repeat = 1;
    std::vector<runtime::MeasureResult> results =
        runtime::run_all(built, spec, std::vector<bool>(built.size(), true), runner);
    for (size_t k = 0; k < results.size(); ++k) {
      EXPECT_EQ(results[k].error, runtime::MeasureError::None)
          << runtime::measure_error_name(results[k].error) << ": " << results[k].error_message << "\n"
          << histories[k];
      checked += results[k].error == runtime::MeasureError::None;
    }
  }
  std::printf("GPU oracle: %d States of %zu operators verified on the device\n", checked, seen_ops.size());
}
