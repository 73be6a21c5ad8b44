// The CUDA the GPU search produces, run: States sampled from the GPU sketches and
// mutated, for every kind of GPU schedule (multi-level tiling with shared-memory
// fetches and vthreads, cross-thread reductions, bound elementwise stages),
// generated as CUDA and executed by the host emulator (a thread per CUDA thread,
// real barriers), match the operators' references. This checks the CUDA
// generator's mapping of search States onto threads, shared memory and barriers on
// machines without a GPU; on a GPU the device oracle runs the same States for real.
#include <gtest/gtest.h>

#include <random>

#include "codegen/codegen_cuda.h"
#include "codegen/cuda_host_emulator.h"
#include "lower/lower.h"
#include "ops/registry.h"
#include "search/sketch_rules.h"
#include "testing/fused_ops.h"
#include "testing/gpu_states.h"

using namespace bcd;

namespace {

// Small shapes: the emulator runs every CUDA thread as an OS thread.
const std::vector<std::pair<std::string, std::string>> kCases = {
    {"conv2d_bias_relu", ""},
    {"conv2d", "n=1,c=8,h=8,w=8,o=16,kernel=3,pad=1"},
    {"dense", "m=8,k=64,n=32"},
    {"dense", "m=1,k=256,n=8"},
    {"batch_matmul", "batch=2,m=8,k=16,n=8"},
    {"depthwise_conv2d", "n=1,c=8,h=8,w=8,kernel=3,pad=1"},
    {"softmax", "shape=4x64"},
    {"layer_norm", "shape=4x32"},
    {"max_pool2d", "n=1,c=4,h=8,w=8,kernel=3,stride=2,pad=1"},
    {"global_avg_pool2d", "n=1,c=8,h=7,w=7"},
};

}  // namespace

// One test per case, so that `ctest -j` spreads them over the cores.
class GpuSearchStatesHost : public ::testing::TestWithParam<size_t> {};

TEST_P(GpuSearchStatesHost, SampledStatesRunOnTheHostEmulatorMatchTheReference) {
  constexpr int kStatesPerOp = 6;
  int checked = 0;
  const size_t c = GetParam();
  const auto& [op, params] = kCases[c];
  SCOPED_TRACE(op + " " + params);
  ops::OpInstance inst = op == "conv2d_bias_relu" ? testutil::conv_bias_relu(ops::Layout::NCHW, 8, 8, 16)
                                                  : ops::build_op(op, ops::OpParams::parse(params));
  search::SearchTask task = testutil::gpu_task(inst.dag);
  std::vector<schedule::State> sketches = search::generate_sketches(task);
  search::FactorizationCache cache;
  std::mt19937_64 rng(100 + c);
  std::vector<NDArray> inputs;
  std::vector<const NDArray*> input_ptrs;
  for (size_t i = 0; i < inst.dag.inputs().size(); ++i) {
    inputs.emplace_back(inst.dag.inputs()[i]->shape);
    auto [low, high] = i < inst.input_ranges.size() ? inst.input_ranges[i] : std::pair{-1.0f, 1.0f};
    inputs.back().fill_random(rng, low, high);
  }
  for (const auto& a : inputs) input_ptrs.push_back(&a);
  std::vector<NDArray> expected = inst.reference(input_ptrs);

  // All States of one case in one source: one host compile per case.
  std::vector<lower::LoweredFunc> funcs;
  for (int k = 0; k < kStatesPerOp; ++k)
    funcs.push_back(lower::lower_state(testutil::sample_gpu_state(task, sketches, cache, rng),
                                       "state" + std::to_string(k)));
  std::string source = codegen::codegen_cuda(funcs);
  for (const auto& f : funcs) {
    std::vector<NDArray> outputs;
    std::vector<float*> args;
    for (auto& a : inputs) args.push_back(a.data());
    for (const auto& t : inst.dag.outputs()) outputs.emplace_back(t->shape);
    for (auto& o : outputs) {
      o.fill(12345.0f);  // stale values must not pass
      args.push_back(o.data());
    }
    testutil::run_cuda_on_host(source, f.name, args);
    for (size_t o = 0; o < outputs.size(); ++o) {
      ArrayDiff d = compare_arrays(outputs[o], expected[o]);
      EXPECT_TRUE(arrays_close(outputs[o], expected[o], 1e-3, 1e-3))
          << f.name << ": max abs error " << d.max_abs << "\n" << source.substr(0, 6000);
    }
    ++checked;
  }
  EXPECT_EQ(checked, kStatesPerOp);
}

INSTANTIATE_TEST_SUITE_P(Cases, GpuSearchStatesHost, ::testing::Range<size_t>(0, kCases.size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::to_string(info.param) + "_" + kCases[info.param].first;
                         });
