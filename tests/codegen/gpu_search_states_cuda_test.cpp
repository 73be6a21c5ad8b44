// What the GPU search produces, the CUDA generator accepts and NVRTC compiles: for
// the first configuration of every operator, States sampled from the GPU sketches
// and mutated (as the evolutionary search does) generate CUDA that compiles. Their
// values are checked by the emulated oracle (tests/schedule) and, on a GPU, by the
// device oracle; this test closes the gap between the two on machines without one.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "codegen/codegen_cuda.h"
#include "lower/lower.h"
#include "ops/op_configs.h"
#include "ops/registry.h"
#include "runtime/cuda_compiler.h"
#include "search/sketch_rules.h"
#include "support/error.h"
#include "testing/gpu_states.h"

using namespace bcd;

TEST(GpuSearchStatesCuda, EveryOperatorsSampledStatesCompileWithNvrtc) {
  if (!runtime::nvrtc_available()) GTEST_SKIP() << "bcd was built without CUDA (NVRTC)";
  constexpr int kStatesPerOp = 4;
  std::set<std::string> seen_ops;
  int compiled = 0;
  for (const auto& config : ops::optest::op_configs()) {
    if (!seen_ops.insert(config.op).second) continue;
    SCOPED_TRACE(config.op + " " + config.params);
    ops::OpInstance inst = ops::build_op(config.op, ops::OpParams::parse(config.params));
    search::SearchTask task = testutil::gpu_task(inst.dag);
    std::vector<schedule::State> sketches = search::generate_sketches(task);
    ASSERT_FALSE(sketches.empty());
    search::FactorizationCache cache;
    std::mt19937_64 rng(seen_ops.size());
    // All States of one operator in one module: one NVRTC call per operator.
    std::vector<lower::LoweredFunc> funcs;
    for (int k = 0; k < kStatesPerOp; ++k) {
      schedule::State s = testutil::sample_gpu_state(task, sketches, cache, rng);
      funcs.push_back(lower::lower_state(s, config.op + "_state" + std::to_string(k)));
    }
    std::string source;
    try {
      source = codegen::codegen_cuda(funcs);
    } catch (const Error& e) {
      ADD_FAILURE() << "codegen_cuda: " << e.what();
      continue;
    }
    for (const auto& f : funcs) EXPECT_NE(source.find("// bcd-launch " + f.name + " "), std::string::npos);
    try {
      std::string ptx = runtime::compile_cuda(source, "compute_80");
      EXPECT_FALSE(ptx.empty());
      compiled += kStatesPerOp;
    } catch (const Error& e) {
      ADD_FAILURE() << "NVRTC: " << e.what() << "\n" << source.substr(0, 4000);
    }
  }
  EXPECT_EQ(compiled, static_cast<int>(seen_ops.size()) * kStatesPerOp);
}
