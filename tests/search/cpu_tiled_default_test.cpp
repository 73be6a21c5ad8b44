// The rule-chosen tiled default for CPU tasks with a reduction
// (search/cpu_tiled_default.h): it exists for convolutions and dense layers,
// computes what the operator's reference computes, runs in parallel and
// vectorized, and is absent for a task without a reduction.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "codegen/codegen_c.h"
#include "lower/lower.h"
#include "ops/registry.h"
#include "runtime/module.h"
#include "schedule/transform_step.h"
#include "search/cpu_tiled_default.h"
#include "testing/fused_ops.h"
#include "testing/op_call.h"

using namespace bcd;

namespace {

void expect_matches_reference(const ops::OpInstance& inst) {
  search::SearchTask task{inst.dag, Target::cpu()};
  std::optional<schedule::State> state = search::cpu_tiled_default_state(task);
  ASSERT_TRUE(state.has_value());
  bool parallel = false, vectorized = false;
  for (const auto& st : state->stages())
    for (const auto& it : st.iters) {
      parallel = parallel || it.annotation == schedule::IterAnnotation::Parallel;
      vectorized = vectorized || it.annotation == schedule::IterAnnotation::Vectorize;
    }
  EXPECT_TRUE(parallel);
  EXPECT_TRUE(vectorized);
  lower::LoweredFunc f = lower::lower_state(*state, "tiled_default");
  std::mt19937_64 rng(3);
  std::vector<NDArray> inputs;
  for (const auto& t : inst.dag.inputs()) inputs.emplace_back(t->shape).fill_random(rng, -1.0f, 1.0f);
  testutil::OpCall call = testutil::prepare_op_call(inst, inputs);
  runtime::Module::from_source(codegen::codegen_c({f})).get(f.name).run(call.args);
  for (size_t o = 0; o < call.outputs.size(); ++o)
    EXPECT_TRUE(arrays_close(call.outputs[o], call.expected[o], 1e-3, 1e-3));
}

}  // namespace

TEST(CpuTiledDefault, ConvolutionsAndDenseLayersGetAParallelVectorizedTiling) {
  expect_matches_reference(testutil::conv_bias_relu(ops::Layout::NCHW, 16, 14, 32));
  expect_matches_reference(ops::build_op("conv2d", ops::OpParams::parse("n=1,c=8,h=13,w=13,o=24,kernel=1,pad=0")));
  expect_matches_reference(ops::build_op("dense", ops::OpParams::parse("m=4,k=64,n=48")));
  expect_matches_reference(ops::build_op("batch_matmul", ops::OpParams::parse("batch=2,m=8,n=16,k=8")));
}

// The innermost tile of every axis the multi-level tiling splits, in the order of
// its splits (the spatial axes first).
std::vector<int64_t> innermost_tiles(const schedule::State& state) {
  std::vector<int64_t> tiles;
  for (const auto& step : state.history())
    if (step.kind == schedule::StepKind::Split && step.lengths.size() >= 3) tiles.push_back(step.lengths.back());
  return tiles;
}

std::vector<int64_t> sorted(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The innermost tiles of a conv's four spatial axes in the default, sorted.
std::vector<int64_t> sorted_spatial_tiles(const ops::OpInstance& conv) {
  std::optional<schedule::State> state = search::cpu_tiled_default_state(search::SearchTask{conv.dag, Target::cpu()});
  if (!state) return {};
  std::vector<int64_t> tiles = innermost_tiles(*state);
  if (tiles.size() < 4) return tiles;
  return sorted({tiles.begin(), tiles.begin() + 4});
}

TEST(CpuTiledDefault, FewColumnsPutTheLanesOnTheChannelsAndRowsOnTwoAxes) {
  // 21 output columns give less than half a vector (7 lanes): the lanes go along the
  // 32 output channels (16), and the rows along the columns and the rows of the
  // image, 3x3 (the largest product of divisors within 12; 7 alone gives fewer).
  ops::OpInstance conv = ops::build_op("conv2d", ops::OpParams::parse("n=1,c=4,h=21,w=21,o=32,kernel=3,pad=1"));
  EXPECT_EQ(sorted_spatial_tiles(conv), (std::vector<int64_t>{1, 3, 3, 16}));
  expect_matches_reference(conv);
}

TEST(CpuTiledDefault, TheRowsGoAlongTheAxisThatGivesTheMost) {
  // 55 columns: lanes along them (11 with 16-lane vectors, 5 with 8). Rows: 8 of
  // the 16 output channels, not a divisor of the 55 image rows (5), though those are
  // more (the widest axis gave 1 row of 11 lanes: 21 GFLOP/s in squeezenet_v1.1).
  ops::OpInstance conv = ops::build_op("conv2d", ops::OpParams::parse("n=1,c=8,h=55,w=55,o=16,kernel=1,pad=0"));
  const int64_t lanes = search::SearchTask{conv.dag, Target::cpu()}.hardware().vector_lanes;
  EXPECT_EQ(sorted_spatial_tiles(conv), sorted({1, 1, 8, lanes >= 11 ? 11 : 5}));
  expect_matches_reference(conv);
}

TEST(CpuTiledDefault, RowsThatNoDivisorMakesFewComeFromAWholeImageRow) {
  // NHWC, 16 output channels innermost: one vector a row, at most 8 rows of
  // accumulators, and 13 has no divisor from 2 to 8. One row would use each weight
  // vector once: the rows take a whole image row of 13 instead, within 24
  // accumulators with 16-lane vectors (with 8 lanes, within 12: one row stays).
  ops::OpInstance conv =
      ops::build_op("conv2d", ops::OpParams::parse("n=1,c=32,h=13,w=13,o=16,kernel=1,pad=0,layout=NHWC"));
  const int64_t lanes = search::SearchTask{conv.dag, Target::cpu()}.hardware().vector_lanes;
  EXPECT_EQ(sorted_spatial_tiles(conv), sorted({1, 1, lanes >= 16 ? 13 : 1, std::min<int64_t>(16, lanes)}));
  expect_matches_reference(conv);
}

TEST(CpuTiledDefault, LargeWeightBlocksKeepTheOtherImageAxisInsideAParallelIteration) {
  // 512 x 3 x 3 inputs per output channel: 295 KB of weights per 16-lane block. The
  // rows take the 7 image rows, the lanes the channels; the 7 columns run whole
  // inside each parallel iteration (the first of their split's lengths), so a block
  // of weights is read once per thread, not once per column. A 64-channel conv's
  // 37 KB blocks leave the columns parallel.
  // The first length of every multi-level split of an image axis (extent `side`).
  auto outer_image_tiles = [](const std::string& params, int64_t side) {
    ops::OpInstance conv = ops::build_op("conv2d", ops::OpParams::parse(params));
    std::optional<schedule::State> state = search::cpu_tiled_default_state(search::SearchTask{conv.dag, Target::cpu()});
    std::vector<int64_t> firsts;
    for (const auto& step : state->history())
      if (step.kind == schedule::StepKind::Split && step.lengths.size() >= 3 && step.extent == side)
        firsts.push_back(step.lengths.front());
    expect_matches_reference(conv);
    return sorted(firsts);
  };
  const std::vector<int64_t> big = outer_image_tiles("n=1,c=512,h=7,w=7,o=512,kernel=3,pad=1,layout=NHWC", 7);
  EXPECT_TRUE(std::count(big.begin(), big.end(), 7) >= 1) << ::testing::PrintToString(big);
  const std::vector<int64_t> small = outer_image_tiles("n=1,c=64,h=56,w=56,o=64,kernel=3,pad=1,layout=NHWC", 56);
  EXPECT_FALSE(small.empty());
  EXPECT_TRUE(std::all_of(small.begin(), small.end(), [](int64_t t) { return t == 1; }))
      << ::testing::PrintToString(small);
}

TEST(CpuTiledDefault, ATaskWithoutAReductionHasNone) {
  ops::OpInstance relu = ops::build_op("relu", ops::OpParams::parse("shape=1x8x8x8"));
  EXPECT_FALSE(search::cpu_tiled_default_state(search::SearchTask{relu.dag, Target::cpu()}).has_value());
  ops::OpInstance dense = ops::build_op("dense", ops::OpParams::parse("m=4,k=64,n=48"));
  EXPECT_FALSE(search::cpu_tiled_default_state(search::SearchTask{dense.dag, Target::gpu()}).has_value());
}
