// The default CPU schedule of every operator configuration computes what the
// operator's naive reference computes, with its elementwise producers inlined and
// an outer loop of every root stage in parallel; it replays from its history.
#include <gtest/gtest.h>

#include <random>

#include "codegen/codegen_c.h"
#include "lower/lower.h"
#include "ops/op_configs.h"
#include "ops/registry.h"
#include "runtime/module.h"
#include "schedule/transform_step.h"
#include "search/cpu_default_schedule.h"
#include "support/error.h"
#include "testing/op_call.h"

using namespace bcd;
using ops::optest::op_configs;

namespace {

class CpuDefaultSchedule : public ::testing::TestWithParam<size_t> {};

TEST_P(CpuDefaultSchedule, MatchesTheReferenceWithParallelOuterLoops) {
  const auto& config = op_configs()[GetParam()];
  SCOPED_TRACE(config.op + " " + config.params);
  ops::OpInstance inst = ops::build_op(config.op, ops::OpParams::parse(config.params));
  schedule::State state = search::cpu_default_state(inst.dag, 4);
  EXPECT_EQ(schedule::replay(inst.dag, state.history()).canonical_string(), state.canonical_string());
  for (const auto& st : state.stages()) {
    if (st.kind != schedule::StageKind::Compute || st.compute_at != schedule::ComputeAtKind::Root) continue;
    if (st.iters.empty() || st.iters[0].kind != schedule::IterKind::Spatial || st.iters[0].extent < 2) continue;
    EXPECT_EQ(st.iters[0].annotation, schedule::IterAnnotation::Parallel) << st.op->name;
  }

  std::mt19937_64 rng(91 + GetParam());
  std::vector<NDArray> inputs;
  for (size_t i = 0; i < inst.dag.inputs().size(); ++i) {
    auto [low, high] = i < inst.input_ranges.size() ? inst.input_ranges[i] : std::pair{config.low, config.high};
    inputs.emplace_back(inst.dag.inputs()[i]->shape).fill_random(rng, low, high);
  }
  testutil::OpCall call = testutil::prepare_op_call(inst, inputs);
  const std::string name = "cpu_default_" + std::to_string(GetParam());
  runtime::Module::from_source(codegen::codegen_c({lower::lower_state(state, name)})).get(name).run(call.args);
  ops::optest::expect_outputs_match(call.outputs, call.expected, config);
}

INSTANTIATE_TEST_SUITE_P(OpAll, CpuDefaultSchedule, ::testing::ValuesIn(ops::optest::config_indices()),
                         [](const auto& info) { return ops::optest::config_param_name(info.param); });

}  // namespace

TEST(CpuDefaultState, OuterLoopsFuseUntilEveryCoreHasWork) {
  // relu(x * 2) over 2 x 3 x 100: the multiply is inlined; 2 x 3 = 6 iterations are
  // not 4 per core for 2 cores, so the fused loop takes all but the innermost axis
  // (6); for 1 core the first axis (2) is not enough either and fuses with the second.
  ir::Tensor x = ir::placeholder({2, 3, 100}, "x");
  ir::Tensor m = ir::compute(
      {2, 3, 100}, [&](const std::vector<ir::Expr>& i) { return x(i[0], i[1], i[2]) * 2.0f; }, "m", "mul");
  ir::Tensor r = ir::compute(
      {2, 3, 100},
      [&](const std::vector<ir::Expr>& i) { return ir::max(m(i[0], i[1], i[2]), ir::float_imm(0.0)); }, "r",
      "relu");
  ir::ComputeDAG dag({x}, {r});
  for (int cores : {1, 2}) {
    schedule::State s = search::cpu_default_state(dag, cores);
    EXPECT_EQ(s.stage(s.stage_of(m.op().get())).compute_at, schedule::ComputeAtKind::Inlined);
    const auto& iters = s.stage(s.stage_of(r.op().get())).iters;
    ASSERT_EQ(iters.size(), 2u) << cores;
    EXPECT_EQ(iters[0].extent, 6);
    EXPECT_EQ(iters[0].annotation, schedule::IterAnnotation::Parallel);
    EXPECT_EQ(iters[1].extent, 100);
  }
  EXPECT_THROW(search::cpu_default_state(dag, 0), bcd::Error);
}
