// The vector-access plan of the CUDA generator on single stores: which accesses
// may be read or written 4 (or 2) lanes at once, and the cases that must stay
// scalar to keep the loop's sequential meaning.
#include <gtest/gtest.h>

#include "codegen/gpu_programs.h"
#include "codegen/vector_access.h"
#include "ir/tensor.h"

using namespace bcd;
using codegen::detail::is_multiple_of;
using codegen::detail::plan_vector_access;
using codegen::detail::VectorPlan;
using ir::Expr;
using ir::int_imm;
using ir::load;

namespace {

VectorPlan plan(const lower::Stmt& store, const Expr& v, int64_t extent, const ir::OpNode* local = nullptr) {
  ir::RangeMap ranges{{v.get(), {0, extent - 1}}};
  return plan_vector_access(*store, v, extent, ranges, testutil::flat_1d,
                            [&](const ir::OpNode* b) { return b != local; });
}

}  // namespace

TEST(VectorAccess, MultiplesAreProvedFromTheFormOnly) {
  Expr i = ir::var("i"), j = ir::var("j");
  EXPECT_TRUE(is_multiple_of(i * int_imm(8) + int_imm(4), 4));
  EXPECT_FALSE(is_multiple_of(i * int_imm(8) + int_imm(4), 8));
  EXPECT_FALSE(is_multiple_of(i * int_imm(3), 4));
  EXPECT_FALSE(is_multiple_of(i, 2));
  EXPECT_TRUE(is_multiple_of(ir::floormod(i * int_imm(8), int_imm(16)), 4));
  EXPECT_FALSE(is_multiple_of(ir::floordiv(i * int_imm(8), int_imm(2)), 4));
  EXPECT_TRUE(is_multiple_of(ir::select(i < j, j * int_imm(4), int_imm(0)), 4));
}

TEST(VectorAccess, UpdatingEachElementInPlaceIsVectorized) {
  ir::OpRef a = testutil::buffer("A", {64}), b = testutil::buffer("B", {64});
  Expr r = ir::var("r"), v = ir::var("v");
  Expr i = r * int_imm(8) + v;
  VectorPlan p = plan(lower::make_store(b, {i}, load(b, {i}) + load(a, {i})), v, 8);
  EXPECT_EQ(p.lanes, 4);
  EXPECT_TRUE(p.vector_store);
  EXPECT_EQ(p.vector_loads.size(), 2u);
}

TEST(VectorAccess, ReadingAnotherLanesElementOfTheStoredBufferKeepsTheStoreScalar) {
  ir::OpRef a = testutil::buffer("A", {64}), b = testutil::buffer("B", {72});
  Expr r = ir::var("r"), v = ir::var("v");
  Expr i = r * int_imm(8) + v;
  // B[i] = B[i + 4] + A[i]: a vector store would write B[i..i+3] before lane 0
  // of the next iteration reads B[i + 4] as a sequential loop would.
  VectorPlan p = plan(lower::make_store(b, {i}, load(b, {i + int_imm(4)}) + load(a, {i})), v, 8);
  EXPECT_EQ(p.lanes, 4);
  EXPECT_FALSE(p.vector_store);
  ASSERT_EQ(p.vector_loads.size(), 1u);
  EXPECT_EQ(p.vector_loads[0]->tensor.get(), a.get());
  // The same with B's own element read for every lane: scalar too.
  VectorPlan q = plan(lower::make_store(b, {i}, load(b, {r}) + load(a, {i})), v, 8);
  EXPECT_FALSE(q.vector_store);
}

TEST(VectorAccess, RegistersOddExtentsAndInvariantAccessesAreNotVectorized) {
  ir::OpRef a = testutil::buffer("A", {64}), l = testutil::buffer("L", {8});
  Expr r = ir::var("r"), v = ir::var("v");
  // Into registers: the store stays scalar, the contiguous load of A does not.
  VectorPlan into_local = plan(lower::make_store(l, {v}, load(a, {r * int_imm(8) + v})), v, 8, l.get());
  EXPECT_FALSE(into_local.vector_store);
  EXPECT_EQ(into_local.vector_loads.size(), 1u);
  // 7 iterations: neither 4 nor 2 divides them.
  EXPECT_EQ(plan(lower::make_store(a, {r * int_imm(8) + v}, ir::float_imm(0.0)), v, 7).lanes, 0);
  // Nothing depends on v: nothing to vectorize.
  EXPECT_EQ(plan(lower::make_store(a, {r}, load(l, {r})), v, 8).lanes, 0);
}
