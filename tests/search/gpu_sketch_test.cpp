// The GPU sketch rules: the structure of the sketches of the operators the
// rules were written for (conv2d + bias + relu, dense, softmax, pooling).
#include <gtest/gtest.h>

#include <set>

#include "ops/nn.h"
#include "ops/registry.h"
#include "schedule/transform_step.h"
#include "search/sketch_rules.h"
#include "search/sketch_rules_gpu.h"

using namespace bcd;
using namespace bcd::search;
using schedule::ComputeAtKind;
using schedule::IterAnnotation;
using schedule::IterKind;
using schedule::State;

namespace {

SearchTask gpu_task(const std::string& op, const std::string& params) {
  return SearchTask{ops::build_op(op, ops::OpParams::parse(params)).dag, Target::gpu()};
}

SearchTask conv_bias_relu_gpu_task() {
  ir::Tensor data = ir::placeholder({1, 64, 56, 56}, "data");
  ir::Tensor weight = ir::placeholder({64, 64, 3, 3}, "weight");
  ir::Tensor bias = ir::placeholder({64}, "bias");
  ops::Conv2DAttrs attrs;
  attrs.padding = {1, 1, 1, 1};
  ir::Tensor out = ops::relu(ops::bias_add(ops::conv2d(data, weight, attrs), bias, 1));
  return SearchTask{ir::ComputeDAG({data, weight, bias}, {out}), Target::gpu()};
}

std::string step_codes(const State& s) {
  std::string out;
  for (const auto& step : s.history()) out += std::string(schedule::step_kind_name(step.kind)) + " ";
  return out;
}

int stage_named(const State& s, const std::string& name) {
  for (int i = 0; i < s.num_stages(); ++i)
    if (s.stage(i).op->name == name) return i;
  ADD_FAILURE() << "no stage " << name << " in " << s.canonical_string();
  return 0;
}

void print(const std::vector<State>& sketches) {
  for (const auto& s : sketches) std::printf("%s\n  %s\n", step_codes(s).c_str(), s.canonical_string().c_str());
}

// A shared copy computed at the last iterator of the tiled stage's outermost
// reduction tile.
void expect_shared_copy_at_outer_reduce_tile(const State& s, const std::string& name, int tiled) {
  int id = stage_named(s, name);
  const auto& st = s.stage(id);
  EXPECT_EQ(st.scope, "shared");
  ASSERT_EQ(st.compute_at, ComputeAtKind::Iter) << name;
  EXPECT_EQ(st.attach_stage, tiled);
  const auto& t = s.stage(tiled);
  int pos = t.leaf_index(st.attach_node);
  int n_spatial = t.num_spatial_axes(), n_reduce = t.num_root_axes() - n_spatial;
  EXPECT_EQ(pos, 3 * n_spatial + n_reduce - 1) << name;
  EXPECT_EQ(t.iters[pos].kind, IterKind::Reduce);
}

bool cross_thread(const State& s, const std::string& name) { return has_cross_thread_reduction(s.stage(stage_named(s, name))); }

}  // namespace

TEST(GpuSketch, ConvBiasReluIsTiledSSSRRSRSWithSharedInputsAndFusedIntoRelu) {
  auto sketches = generate_sketches(conv_bias_relu_gpu_task());
  print(sketches);
  ASSERT_EQ(sketches.size(), 1u);  // a GPU fuses always: no sketch leaves the conv at the root
  const State& s = sketches[0];
  int conv = stage_named(s, "conv2d"), relu = stage_named(s, "relu");
  EXPECT_EQ(s.stage(stage_named(s, "data_pad")).compute_at, ComputeAtKind::Inlined);  // into its shared copy
  EXPECT_EQ(s.stage(stage_named(s, "bias_add")).compute_at, ComputeAtKind::Inlined);
  // conv: 4 spatial axes x 5 levels, 3 reduction axes x 3, in the order SSSRRSRS.
  const auto& it = s.stage(conv).iters;
  ASSERT_EQ(it.size(), 4u * 5 + 3 * 3);
  // One letter per tiling level (the part index ends each iterator's name).
  std::string structure;
  std::string last;
  for (const auto& x : it) {
    std::string group = (x.kind == IterKind::Reduce ? "R" : "S") + x.name.substr(x.name.rfind('.'));
    if (group != last) structure += group[0];
    last = group;
  }
  EXPECT_EQ(structure, kGpuTileStructure);
  // Computed at relu's thread-level tile: relu split into 4 parts per axis.
  EXPECT_EQ(s.stage(conv).compute_at, ComputeAtKind::Iter);
  EXPECT_EQ(s.stage(conv).attach_stage, relu);
  EXPECT_EQ(s.stage(relu).iters.size(), 16u);
  EXPECT_EQ(s.stage(relu).leaf_index(s.stage(conv).attach_node), 11);
  expect_shared_copy_at_outer_reduce_tile(s, "data_pad.shared", conv);
  expect_shared_copy_at_outer_reduce_tile(s, "weight.shared", conv);
  EXPECT_TRUE(s.has_unknown_extents());
  EXPECT_NE(s.canonical_string().find("shared"), std::string::npos);
}

TEST(GpuSketch, DenseGetsALocalCacheStageTiledAndSharedInputs) {
  auto sketches = generate_sketches(gpu_task("dense", "m=128,k=768,n=3072"));
  print(sketches);
  ASSERT_EQ(sketches.size(), 1u);
  const State& s = sketches[0];
  int local = stage_named(s, "dense.local"), out = stage_named(s, "dense");
  EXPECT_EQ(s.stage(local).scope, "local");
  EXPECT_EQ(s.stage(local).iters.size(), 2u * 5 + 3);
  EXPECT_EQ(s.stage(local).attach_stage, out);
  EXPECT_EQ(s.stage(out).iters.size(), 8u);
  EXPECT_FALSE(cross_thread(s, "dense.local"));
  expect_shared_copy_at_outer_reduce_tile(s, "data.shared", local);
  expect_shared_copy_at_outer_reduce_tile(s, "weight.shared", local);
}

TEST(GpuSketch, DenseWithSmallOutputAlsoGetsACrossThreadReduction) {
  auto sketches = generate_sketches(gpu_task("dense", "m=1,k=1024,n=16"));
  print(sketches);
  ASSERT_EQ(sketches.size(), 2u);
  int with_cross = 0;
  for (const auto& s : sketches) {
    if (s.num_stages() == 3) {  // no cache stage
      ++with_cross;
      EXPECT_TRUE(cross_thread(s, "dense"));
      const auto& it = s.stage(stage_named(s, "dense")).iters;
      ASSERT_EQ(it.size(), 4u);  // i, j, k.0, k.1 [threadIdx.x]
      EXPECT_EQ(it[3].annotation, IterAnnotation::ThreadIdxX);
      EXPECT_EQ(it[3].kind, IterKind::Reduce);
    }
  }
  EXPECT_EQ(with_cross, 1);
  EXPECT_NE(sketches[0].canonical_string(), sketches[1].canonical_string());
}

TEST(GpuSketch, SoftmaxReductionsGetCrossThreadVariants) {
  auto sketches = generate_sketches(gpu_task("softmax", "shape=4x1000"));
  print(sketches);
  // max and sum: each with or without a cross-thread reduction; exp is never
  // inlined (expensive) and nothing is tiled.
  ASSERT_EQ(sketches.size(), 4u);
  std::set<std::pair<bool, bool>> variants;
  std::set<std::string> strings;
  for (const auto& s : sketches) {
    variants.insert({cross_thread(s, "softmax_max"), cross_thread(s, "softmax_sum")});
    strings.insert(s.canonical_string());
    for (const auto& st : s.stages()) EXPECT_NE(st.compute_at, ComputeAtKind::Inlined) << st.op->name;
    EXPECT_EQ(s.num_stages(), 5);
  }
  EXPECT_EQ(variants.size(), 4u);
  EXPECT_EQ(strings.size(), 4u);
}

TEST(GpuSketch, PoolingInlinesPaddingAndReducesAcrossThreadsOnlyWhenPoolingToOnePixel) {
  auto pool = generate_sketches(gpu_task("max_pool2d", "n=1,c=64,h=56,w=56,kernel=3,stride=2,pad=1"));
  print(pool);
  ASSERT_EQ(pool.size(), 1u);  // a 3x3 window is too small to share among threads
  EXPECT_EQ(pool[0].stage(stage_named(pool[0], "data_pad")).compute_at, ComputeAtKind::Inlined);
  EXPECT_FALSE(cross_thread(pool[0], "max_pool2d"));
  for (const auto& step : pool[0].history()) EXPECT_NE(step.kind, schedule::StepKind::Reorder);

  auto global = generate_sketches(gpu_task("global_avg_pool2d", "n=1,c=512,h=7,w=7"));
  print(global);
  ASSERT_EQ(global.size(), 2u);
  EXPECT_NE(cross_thread(global[0], "global_avg_pool2d"), cross_thread(global[1], "global_avg_pool2d"));
}

TEST(GpuSketch, TheCpuTargetKeepsTheCpuRules) {
  SearchTask cpu{ops::build_op("dense", ops::OpParams::parse("m=128,k=768,n=3072")).dag};
  cpu.target.hardware.num_cores = 2;
  auto sketches = generate_sketches(cpu);
  EXPECT_EQ(sketches.size(), 3u);
  for (const auto& s : sketches)
    for (const auto& st : s.stages()) EXPECT_NE(st.scope, "shared");
}
