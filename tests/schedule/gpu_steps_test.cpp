// What the step validation allows for GPU schedules: threadIdx.x on a
// reduction (a cross-thread reduction) and an inexact follow_fused_split (a
// cooperative fetch split by the block's thread count).
#include <gtest/gtest.h>

#include "ops/registry.h"
#include "schedule/transform_step.h"
#include "support/error.h"
#include "testing/error_of.h"

using namespace bcd;
using namespace bcd::schedule;
using testutil::error_of;

namespace {

// Stages A(0), B(1), dense(2) with iterators i(8), j(12), k(16).
ir::ComputeDAG dense_dag() { return ops::build_op("dense", ops::OpParams::parse("m=8,n=12,k=16")).dag; }

}  // namespace

TEST(GpuSteps, OnlyThreadIdxXMayBindAReductionIterator) {
  State s(dense_dag());
  s.apply(annotation_step(2, 2, IterAnnotation::ThreadIdxX));
  EXPECT_EQ(s.stage(2).iters[2].annotation, IterAnnotation::ThreadIdxX);
  State t(dense_dag());
  for (IterAnnotation a : {IterAnnotation::BlockIdxX, IterAnnotation::VThread, IterAnnotation::ThreadIdxY,
                           IterAnnotation::Parallel})
    EXPECT_NE(error_of([&] { t.apply(annotation_step(2, 2, a)); }).find("race"), std::string::npos);
}

TEST(GpuSteps, FollowFusedSplitMayLeaveAPartialLastIteration) {
  State s(dense_dag());
  // A plain split must divide its extent.
  EXPECT_NE(error_of([&] { s.apply(split_step(2, 0, 8, {5})); }).find("do not divide"), std::string::npos);
  s.apply(split_step(2, 1, 12, {3, 1}));  // j: 4 x 3 x 1, step 0
  // Fuse i with nothing and split it by the level-0 length of step 0 (3): 8 is
  // not a multiple, the outer part rounds up and lowering guards the rest.
  s.apply(follow_fused_split_step(2, 0, {0}, 0, true));
  EXPECT_EQ(s.stage(2).iters[0].extent, 3);  // ceil(8 / 3)
  EXPECT_EQ(s.stage(2).iters[1].extent, 3);
}
