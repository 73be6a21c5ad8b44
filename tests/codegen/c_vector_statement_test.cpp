// The C generator's vector statements (codegen/c_vector_statement.h): a vectorized
// loop of 13 lanes becomes one statement on a 13-float vector, computing what the
// loop computes; loops whose lanes depend on each other, read memory that is not
// contiguous or call functions stay loops.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "codegen/c_vector_statement.h"
#include "codegen/codegen_c.h"
#include "codegen/gpu_programs.h"
#include "lower/lower.h"
#include "ops/registry.h"
#include "runtime/module.h"
#include "schedule/transform_step.h"
#include "testing/op_call.h"

using namespace bcd;
using codegen::detail::print_vector_statement;
using codegen::detail::wants_vector_statement;
using ir::Expr;
using ir::int_imm;
using ir::load;

namespace {

std::optional<std::string> print(const lower::Stmt& store, const Expr& v, int64_t extent) {
  ir::RangeMap ranges{{v.get(), {0, extent - 1}}};
  auto scalar = [](const Expr& e) { return e->kind == ir::ExprKind::Var ? e->name : "s"; };
  return print_vector_statement(*store, v, extent, ranges, testutil::flat_1d, scalar,
                                [](const ir::OpNode* b) { return b->name; });
}

}  // namespace

TEST(CVectorStatement, LengthsFromFiveToSixtyFour) {
  EXPECT_TRUE(wants_vector_statement(13));
  EXPECT_TRUE(wants_vector_statement(11));
  EXPECT_TRUE(wants_vector_statement(12));
  EXPECT_TRUE(wants_vector_statement(16));
  EXPECT_TRUE(wants_vector_statement(64));
  EXPECT_TRUE(wants_vector_statement(8));
  EXPECT_FALSE(wants_vector_statement(4));
  EXPECT_FALSE(wants_vector_statement(3));  // clang would write a fourth lane
  EXPECT_FALSE(wants_vector_statement(65));
  EXPECT_FALSE(wants_vector_statement(111));
}

TEST(CVectorStatement, AContiguousUpdateIsOneVectorStatement) {
  ir::OpRef a = testutil::buffer("A", {130}), b = testutil::buffer("B", {130}), w = testutil::buffer("W", {10});
  Expr r = ir::var("r"), v = ir::var("v");
  Expr i = r * int_imm(13) + v;
  std::optional<std::string> s = print(lower::make_store(b, {i}, load(b, {i}) + load(a, {i}) * load(w, {r})), v, 13);
  ASSERT_TRUE(s.has_value());
  EXPECT_NE(s->find("(*(bcd_v13*)&B["), std::string::npos) << *s;
  EXPECT_NE(s->find("(*(bcd_v13*)&A["), std::string::npos) << *s;
  EXPECT_NE(s->find("((bcd_v13)s)"), std::string::npos) << *s;  // W[r], the same for every lane
}

TEST(CVectorStatement, LanesThatDependOnEachOtherOrScatteredReadsStayALoop) {
  ir::OpRef a = testutil::buffer("A", {64}), b = testutil::buffer("B", {64});
  Expr r = ir::var("r"), v = ir::var("v");
  Expr i = r * int_imm(13) + v;
  // B[i] = B[i + 1] + A[i]: each lane reads what the next one has not yet written.
  EXPECT_FALSE(print(lower::make_store(b, {i}, load(b, {i + int_imm(1)}) + load(a, {i})), v, 13));
  // B[i] = A[i] + B[r]: a lane-independent read of the stored buffer.
  EXPECT_FALSE(print(lower::make_store(b, {i}, load(a, {i}) + load(b, {r})), v, 13));
  // A stride of 2, an accumulator every lane writes, and a call per lane.
  EXPECT_FALSE(print(lower::make_store(b, {i}, load(a, {v * int_imm(2)})), v, 13));
  EXPECT_FALSE(print(lower::make_store(b, {r}, load(b, {r}) + load(a, {i})), v, 13));
  EXPECT_FALSE(print(lower::make_store(b, {i}, ir::call(ir::CallFn::Exp, {load(a, {i})})), v, 13));
  // A select on the lane is not one either; on something else it is.
  EXPECT_FALSE(print(lower::make_store(b, {i}, ir::select(v < int_imm(4), load(a, {i}), ir::float_imm(0))), v, 13));
  EXPECT_TRUE(print(lower::make_store(b, {i}, ir::select(r < int_imm(4), load(a, {i}), ir::float_imm(0))), v, 13));
}

TEST(CVectorStatement, ThirteenLanesComputeWhatTheLoopComputes) {
  // A dense layer's 13 output columns innermost and vectorized, the reduction
  // around them: the accumulation and the initialization become 13-lane statements.
  ops::OpInstance dense = ops::build_op("dense", ops::OpParams::parse("m=4,k=8,n=13"));
  schedule::State state(dense.dag);
  const int stage = static_cast<int>(state.stages().size()) - 1;
  state.apply(schedule::reorder_step(stage, {0, 2, 1}));
  state.apply(schedule::annotation_step(stage, 2, schedule::IterAnnotation::Vectorize));
  lower::LoweredFunc f = lower::lower_state(state, "dense13");
  const std::string source = codegen::codegen_c({f});
  EXPECT_NE(source.find("(*(bcd_v13*)&"), std::string::npos) << source;
  ::setenv("BCD_C_VECTOR_STATEMENTS", "0", 1);  // the ablation: a loop again
  EXPECT_EQ(codegen::codegen_c({f}).find("bcd_v13"), std::string::npos);
  ::unsetenv("BCD_C_VECTOR_STATEMENTS");

  std::mt19937_64 rng(5);
  std::vector<NDArray> inputs;
  for (const auto& t : dense.dag.inputs()) inputs.emplace_back(t->shape).fill_random(rng, -1.0f, 1.0f);
  testutil::OpCall call = testutil::prepare_op_call(dense, inputs);
  runtime::Module::from_source(source).get(f.name).run(call.args);
  EXPECT_TRUE(arrays_close(call.outputs[0], call.expected[0], 1e-4, 1e-4));
}
