// The default GPU schedule of every operator configuration: its CUDA source
// compiles with NVRTC, and the same State, run on the CPU with the GPU bindings
// emulated, computes what the operator's naive reference computes. (Running the
// CUDA itself needs a GPU.)
#include <gtest/gtest.h>

#include <random>

#include "codegen/codegen_c.h"
#include "codegen/codegen_cuda.h"
#include "lower/lower.h"
#include "ops/op_configs.h"
#include "ops/registry.h"
#include "runtime/cuda_compiler.h"
#include "runtime/module.h"
#include "schedule/transform_step.h"
#include "search/gpu_default_schedule.h"
#include "support/error.h"
#include "testing/op_call.h"

using namespace bcd;
using ops::optest::op_configs;

namespace {

std::vector<NDArray> config_inputs(const ops::OpInstance& inst, const ops::optest::OpConfig& config,
                                   uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<NDArray> inputs;
  for (size_t i = 0; i < inst.dag.inputs().size(); ++i) {
    inputs.emplace_back(inst.dag.inputs()[i]->shape);
    auto [low, high] = i < inst.input_ranges.size() ? inst.input_ranges[i] : std::pair{config.low, config.high};
    inputs.back().fill_random(rng, low, high);
  }
  return inputs;
}

class GpuDefaultSchedule : public ::testing::TestWithParam<size_t> {};

TEST_P(GpuDefaultSchedule, CompilesWithNvrtcAndEmulatedMatchesReference) {
  const auto& config = op_configs()[GetParam()];
  SCOPED_TRACE(config.op + " " + config.params);
  ops::OpInstance inst = ops::build_op(config.op, ops::OpParams::parse(config.params));
  schedule::State state = search::gpu_default_state(inst.dag);

  // Every root compute stage is bound to blocks and threads of at most 256.
  for (const auto& st : state.stages()) {
    if (st.kind != schedule::StageKind::Compute || st.compute_at != schedule::ComputeAtKind::Root) continue;
    ASSERT_GE(st.iters.size(), 2u) << st.op->name;
    EXPECT_EQ(st.iters[0].annotation, schedule::IterAnnotation::BlockIdxX) << st.op->name;
    EXPECT_EQ(st.iters[1].annotation, schedule::IterAnnotation::ThreadIdxX) << st.op->name;
    EXPECT_LE(st.iters[1].extent, 256) << st.op->name;
    for (size_t i = 2; i < st.iters.size(); ++i) EXPECT_NE(st.iters[i].kind, schedule::IterKind::Spatial);
  }
  // The schedule is its history: replayed, it is the same State.
  EXPECT_EQ(schedule::replay(inst.dag, state.history()).canonical_string(), state.canonical_string());

  std::string name = "gpu_default_" + std::to_string(GetParam());
  lower::LoweredFunc f = lower::lower_state(state, name);
  std::string cuda = codegen::codegen_cuda({f});
  EXPECT_NE(cuda.find("// bcd-launch " + name + " " + name + "_k0 "), std::string::npos) << cuda;
  if (runtime::nvrtc_available()) {
    try {
      runtime::compile_cuda(cuda, "compute_80");
    } catch (const Error& e) {
      ADD_FAILURE() << e.what() << "\n" << cuda;
    }
  }

  std::vector<NDArray> inputs = config_inputs(inst, config, 77 + GetParam());
  testutil::OpCall call = testutil::prepare_op_call(inst, inputs);
  runtime::Module::from_source(codegen::codegen_c({f}, {.emulate_gpu = true})).get(name).run(call.args);
  ops::optest::expect_outputs_match(call.outputs, call.expected, config);
}

INSTANTIATE_TEST_SUITE_P(OpAll, GpuDefaultSchedule, ::testing::ValuesIn(ops::optest::config_indices()),
                         [](const auto& info) { return ops::optest::config_param_name(info.param); });

}  // namespace

TEST(GpuDefaultState, ElementwiseChainIsInlinedAndSplitExactly) {
  // relu(x * 2) over 6 x 100: the multiply is inlined into the relu; 600 fused
  // iterations split by 200, the largest divisor of 600 that is at most 256.
  ir::Tensor x = ir::placeholder({6, 100}, "x");
  ir::Tensor m = ir::compute({6, 100}, [&](const std::vector<ir::Expr>& i) { return x(i[0], i[1]) * 2.0f; }, "m",
                             "mul");
  ir::Tensor r = ir::compute(
      {6, 100}, [&](const std::vector<ir::Expr>& i) { return ir::max(m(i[0], i[1]), ir::float_imm(0.0)); }, "r",
      "relu");
  ir::ComputeDAG dag({x}, {r});
  schedule::State s = search::gpu_default_state(dag);
  int mi = s.stage_of(m.op().get()), ri = s.stage_of(r.op().get());
  EXPECT_EQ(s.stage(mi).compute_at, schedule::ComputeAtKind::Inlined);
  ASSERT_EQ(s.stage(ri).iters.size(), 2u);
  EXPECT_EQ(s.stage(ri).iters[0].extent, 3);
  EXPECT_EQ(s.stage(ri).iters[1].extent, 200);
  std::string cuda = codegen::codegen_cuda({lower::lower_state(s, "chain")});
  EXPECT_NE(cuda.find("// bcd-launch chain chain_k0 3 1 1 200 1 1\n"), std::string::npos) << cuda;
  // With 64 threads at most: 600 = 60 * 10... the largest divisor <= 64 is 60.
  schedule::State small = search::gpu_default_state(dag, 64);
  EXPECT_EQ(small.stage(ri).iters[1].extent, 60);
}
