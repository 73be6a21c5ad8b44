#include "schedule/transform_step.h"

#include <gtest/gtest.h>

#include <random>

#include "codegen/codegen_c.h"
#include "lower/lower.h"
#include "ops/registry.h"
#include "runtime/module.h"
#include "support/error.h"
#include "testing/error_of.h"
#include "testing/random_states.h"

using namespace bcd;
using namespace bcd::schedule;

namespace {

// C[i, j] = sum_k A[i, k] * B[j, k]: stages A(0), B(1), dense(2).
ir::ComputeDAG dense_dag(int64_t m = 8, int64_t n = 12, int64_t k = 16) {
  return ops::build_op("dense", ops::OpParams::parse(fmt::format("m={},n={},k={}", m, n, k))).dag;
}

using testutil::error_of;

}  // namespace

TEST(TransformStep, SplitCreatesPartsWithExactExtents) {
  State s(dense_dag());
  s.apply(split_step(2, 0, 8, {2, 2}));
  const Stage& st = s.stage(2);
  ASSERT_EQ(st.iters.size(), 5u);  // i.0 i.1 i.2 j k
  EXPECT_EQ(st.iters[0].extent, 2);
  EXPECT_EQ(st.iters[1].extent, 2);
  EXPECT_EQ(st.iters[2].extent, 2);
  EXPECT_EQ(st.iters[4].kind, IterKind::Reduce);
  s.apply(split_step(2, 4, 16, {4}, /*inner_to_outer=*/false));
  EXPECT_EQ(s.stage(2).iters[4].extent, 4);  // the given length is the outer part
  EXPECT_EQ(s.stage(2).iters[5].extent, 4);
}

TEST(TransformStep, InvalidStepsFailWithClearMessagesAndLeaveTheStateAlone) {
  State s(dense_dag());
  std::string before = s.canonical_string();
  EXPECT_NE(error_of([&] { s.apply(split_step(2, 0, 8, {3})); }).find("do not divide the extent 8"), std::string::npos);
  EXPECT_NE(error_of([&] { s.apply(reorder_step(2, {0, 0, 1})); }).find("not a permutation"), std::string::npos);
  EXPECT_NE(error_of([&] { s.apply(annotation_step(2, 2, IterAnnotation::Parallel)); }).find("reduction iterator"),
            std::string::npos);
  EXPECT_NE(error_of([&] { s.apply(fuse_step(2, {1, 2})); }).find("spatial and reduction"), std::string::npos);
  EXPECT_NE(error_of([&] { s.apply(compute_inline_step(2)); }).find("reduction"), std::string::npos);
  EXPECT_NE(error_of([&] { s.apply(compute_at_step(2, 2, 0)); }).find("output"), std::string::npos);
  EXPECT_NE(error_of([&] { s.apply(split_step(7, 0, 8, {2})); }).find("stage 7 does not exist"), std::string::npos);
  EXPECT_NE(error_of([&] { s.apply(pragma_step(2, 0, "unroll_everything")); }).find("unsupported pragma"),
            std::string::npos);
  EXPECT_EQ(s.canonical_string(), before);
  EXPECT_TRUE(s.history().empty());
}

TEST(TransformStep, EveryStepKindRoundTripsThroughJson) {
  std::vector<Step> steps = {
      split_step(2, 0, 8, {2, 0}, false),
      follow_split_step(3, 1, 0, 2),
      follow_fused_split_step(3, 0, {0, 1}, 1, true),
      fuse_step(2, {0, 1}),
      reorder_step(2, {1, 0, 2}),
      annotation_step(2, 0, IterAnnotation::Vectorize),
      pragma_step(2, 0, "auto_unroll_max_step$64"),
      compute_at_step(1, 2, 3),
      compute_inline_step(1),
      compute_root_step(1),
      cache_read_step(0, "shared", {2, 3}),
      cache_write_step(2, "local"),
      rfactor_step(2, 3, 1),
      storage_align_step(2, 1, 32, 8),
  };
  ASSERT_EQ(steps.size(), static_cast<size_t>(StepKind::StorageAlign) + 1);
  for (const auto& step : steps) {
    nlohmann::json j = step_to_json(step);
    EXPECT_EQ(j[0], step_kind_name(step.kind));
    nlohmann::json again = step_to_json(step_from_json(nlohmann::json::parse(j.dump())));
    EXPECT_EQ(j, again) << j.dump();
  }
  EXPECT_EQ(step_to_json(steps[0]).dump(), R"(["SP",2,0,8,[2,0],0])");
  EXPECT_EQ(step_to_json(steps[7]).dump(), R"(["CA",1,2,3])");
}

TEST(TransformStep, MalformedJsonStepsAreRejected) {
  using nlohmann::json;
  EXPECT_NE(error_of([] { step_from_json(json::parse(R"(["XX",1])")); }).find("unknown step kind 'XX'"),
            std::string::npos);
  EXPECT_NE(error_of([] { step_from_json(json::parse(R"(["SP",1,0,8,[2]])")); }).find("expected 6 fields"),
            std::string::npos);
  EXPECT_NE(error_of([] { step_from_json(json::parse(R"(["SP",1,0,"8",[2],1])")); }).find("must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of([] { step_from_json(json::parse(R"({"a":1})")); }).find("malformed step"), std::string::npos);
  EXPECT_NE(error_of([] { step_from_json(json::parse(R"(["AN",1,0,"sideways"])")); }).find("sideways"),
            std::string::npos);
}

TEST(TransformStep, ReplayReproducesRandomStatesExactly) {
  std::mt19937_64 rng(7);
  for (const char* op : {"conv2d", "softmax", "dense", "avg_pool2d"}) {
    ops::OpInstance inst = ops::build_op(op, ops::OpParams::parse(
        std::string(op) == "conv2d" ? "n=1,c=4,h=8,w=8,o=8" : std::string(op) == "softmax" ? "shape=4x8"
        : std::string(op) == "dense" ? "m=8,n=8,k=8,bias=1" : "n=1,c=4,h=8,w=8"));
    for (int k = 0; k < 40; ++k) {
      State s = testutil::random_state(inst.dag, rng, {.num_steps = 16});
      nlohmann::json history = history_to_json(s.history());
      State r = replay(inst.dag, history_from_json(nlohmann::json::parse(history.dump())));
      EXPECT_EQ(r.canonical_string(), s.canonical_string()) << history.dump();
      EXPECT_EQ(r.num_stages(), s.num_stages());
      EXPECT_EQ(lower::to_string(lower::lower_state(r, "f")), lower::to_string(lower::lower_state(s, "f")));
    }
  }
}

TEST(TransformStep, CanonicalStringSeparatesDifferentSchedules) {
  State a(dense_dag()), b(dense_dag()), c(dense_dag());
  a.apply(split_step(2, 0, 8, {4}));
  b.apply(split_step(2, 0, 8, {4}));
  c.apply(split_step(2, 0, 8, {2}));
  EXPECT_EQ(a.canonical_string(), b.canonical_string());
  EXPECT_NE(a.canonical_string(), c.canonical_string());
  b.apply(annotation_step(2, 0, IterAnnotation::Parallel));
  EXPECT_NE(a.canonical_string(), b.canonical_string());
}

TEST(TransformStep, CacheWriteAndRfactorAddStages) {
  State s(dense_dag());
  s.apply(cache_write_step(2, "local"));
  ASSERT_EQ(s.num_stages(), 4);
  EXPECT_EQ(s.stage(2).op->name, "dense.local");
  EXPECT_TRUE(s.stage(2).op->has_reduce());
  EXPECT_FALSE(s.stage(3).op->has_reduce());  // the output is now a copy
  EXPECT_EQ(s.stage(3).output_index, 0);

  State r(dense_dag());
  r.apply(split_step(2, 2, 16, {4}));
  r.apply(rfactor_step(2, 3, 2));
  ASSERT_EQ(r.num_stages(), 4);
  EXPECT_EQ(r.stage(2).op->name, "dense.rf");
  EXPECT_EQ(r.stage(2).op->shape, (std::vector<int64_t>{8, 12, 4}));
  EXPECT_EQ(r.stage(3).op->reduce_axes.size(), 1u);
  EXPECT_EQ(r.stage(3).op->reduce_axes[0].extent, 4);
}

TEST(BoundInference, AttachedStageGetsTheRegionOneIterationReads) {
  // B[i] = A[i] * 2;  C[i] = B[i] + B[i + 1].  Split C by 4 and compute B at the
  // outer loop: each iteration needs B[4*io .. 4*io + 4], five elements.
  ir::Tensor a = ir::placeholder({17}, "A");
  ir::Tensor b = ir::compute({17}, [&](const std::vector<ir::Expr>& i) { return a(i[0]) * 2.0f; }, "B", "mul");
  ir::Tensor c = ir::compute({16}, [&](const std::vector<ir::Expr>& i) { return b(i[0]) + b(i[0] + 1); }, "C", "add");
  ir::ComputeDAG dag({a}, {c});
  State s(dag);
  s.apply(split_step(2, 0, 16, {4}));
  s.apply(compute_at_step(1, 2, 0));
  lower::LoweredFunc f = lower::lower_state(s, "f");
  std::string text = lower::to_string(f);
  EXPECT_NE(text.find("allocate B[5] local"), std::string::npos) << text;

  auto kernel = runtime::Module::from_source(codegen::codegen_c({f})).get("f");
  NDArray in({17}), out({16});
  for (int i = 0; i < 17; ++i) in[i] = static_cast<float>(i * i);
  kernel.run(std::vector<NDArray*>{&in, &out});
  for (int i = 0; i < 16; ++i) EXPECT_FLOAT_EQ(out[i], 2.0f * (i * i + (i + 1) * (i + 1)));
}

TEST(BoundInference, StageComputedAtANonReaderIsRejectedAtLowering) {
  // B = A * 2 feeds C; D = A * 3 does not read B. Step validation never attaches B
  // to D; a State edited by hand that does must fail to lower, not miscompile.
  ir::Tensor a = ir::placeholder({8}, "A");
  ir::Tensor b = ir::compute({8}, [&](const std::vector<ir::Expr>& i) { return a(i[0]) * 2.0f; }, "B", "mul");
  ir::Tensor c = ir::compute({8}, [&](const std::vector<ir::Expr>& i) { return b(i[0]) + 1.0f; }, "C", "add");
  ir::Tensor d = ir::compute({8}, [&](const std::vector<ir::Expr>& i) { return a(i[0]) * 3.0f; }, "D", "mul");
  State s(ir::ComputeDAG({a}, {c, d}));
  int sb = 1, sd = s.num_stages() - 1;
  ASSERT_EQ(s.stage(sd).op->name, "D");
  EXPECT_NE(error_of([&] { s.apply(compute_at_step(sb, sd, 0)); }).find("single consumer"), std::string::npos);
  s.mutable_stage(sb).compute_at = ComputeAtKind::Iter;
  s.mutable_stage(sb).attach_stage = sd;
  s.mutable_stage(sb).attach_node = 0;
  EXPECT_NE(error_of([&] { lower::lower_state(s, "f"); }).find("does not read it"), std::string::npos);
}
