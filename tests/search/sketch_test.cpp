#include "search/sketch_rules.h"

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "ops/nn.h"
#include "ops/registry.h"
#include "schedule/transform_step.h"
#include "search/annotation_rules.h"
#include "support/error.h"

using namespace bcd;
using namespace bcd::search;

namespace {

SearchTask task_of(const std::string& op, const std::string& params) {
  SearchTask t{ops::build_op(op, ops::OpParams::parse(params)).dag};
  t.target.hardware.num_cores = 2;
  return t;
}

SearchTask conv_bias_relu_task() {
  ir::Tensor data = ir::placeholder({1, 64, 56, 56}, "data");
  ir::Tensor weight = ir::placeholder({64, 64, 3, 3}, "weight");
  ir::Tensor bias = ir::placeholder({64}, "bias");
  ops::Conv2DAttrs attrs;
  attrs.padding = {1, 1, 1, 1};
  ir::Tensor out = ops::relu(ops::bias_add(ops::conv2d(data, weight, attrs), bias, 1));
  SearchTask t{ir::ComputeDAG({data, weight, bias}, {out})};
  t.target.hardware.num_cores = 2;
  return t;
}

std::string step_codes(const schedule::State& s) {
  std::string out;
  for (const auto& step : s.history()) out += std::string(schedule::step_kind_name(step.kind)) + " ";
  return out;
}

}  // namespace

TEST(Sketch, ConvBiasReluFusesIntoTheConsumerAtTwoLevelsOrTilesAlone) {
  auto sketches = generate_sketches(conv_bias_relu_task());
  ASSERT_EQ(sketches.size(), 3u);
  for (const auto& s : sketches) std::printf("%s\n  %s\n", step_codes(s).c_str(), s.canonical_string().c_str());
  // Stages: data weight bias pad conv add relu. The bias add is inlined in every
  // sketch; the padding (a branch) is not: its location is annotated. The conv is
  // tiled SSRSRS (4 spatial x4, 3 reduce x2).
  for (const auto& s : sketches) {
    EXPECT_EQ(s.stage(3).compute_at, schedule::ComputeAtKind::Root);     // pad
    EXPECT_EQ(s.stage(5).compute_at, schedule::ComputeAtKind::Inlined);  // add
    EXPECT_EQ(s.stage(4).iters.size(), 4u * 4 + 3 * 2);
    EXPECT_TRUE(s.has_unknown_extents());
  }
  // Two sketches compute the conv at the relu's tiles (levels 1 and 2), one leaves it at the root.
  int attached = 0;
  for (const auto& s : sketches)
    if (s.stage(4).compute_at == schedule::ComputeAtKind::Iter) {
      ++attached;
      EXPECT_EQ(s.stage(4).attach_stage, 6);
    }
  EXPECT_EQ(attached, 2);
  EXPECT_EQ(sketches[0].stage(6).iters.size(), 8u);   // relu split at level 1: 2 parts x 4 axes
  EXPECT_EQ(sketches[1].stage(6).iters.size(), 12u);  // level 2: 3 parts x 4 axes
}

TEST(Sketch, DenseGetsACacheWriteStageOrPlainTiling) {
  auto sketches = generate_sketches(task_of("dense", "m=128,k=768,n=3072"));
  ASSERT_EQ(sketches.size(), 3u);
  int with_cache = 0;
  for (const auto& s : sketches) {
    std::printf("%s\n  %s\n", step_codes(s).c_str(), s.canonical_string().c_str());
    if (s.num_stages() == 4) {
      ++with_cache;
      EXPECT_EQ(s.stage(2).op->name, "dense.local");
      EXPECT_EQ(s.stage(2).compute_at, schedule::ComputeAtKind::Iter);
      EXPECT_EQ(s.stage(2).iters.size(), 2u * 4 + 2);
    } else {
      EXPECT_EQ(s.stage(2).iters.size(), 2u * 4 + 2);
    }
  }
  EXPECT_EQ(with_cache, 2);
}

TEST(Sketch, SoftmaxReductionsGetRfactorVariants) {
  auto sketches = generate_sketches(task_of("softmax", "shape=4x1000"));
  // Two reductions (max, sum), each: rfactor on the inner part, on the outer
  // part, or none: 3 x 3 sketches; the exp stage is never inlined (expensive).
  EXPECT_EQ(sketches.size(), 9u);
  int with_rf = 0;
  for (const auto& s : sketches) {
    for (const auto& st : s.stages())
      if (st.op->name.find(".rf") != std::string::npos) ++with_rf;
    for (const auto& st : s.stages()) EXPECT_NE(st.compute_at, schedule::ComputeAtKind::Inlined) << st.op->name;
  }
  // Each reduction is factored in 2 of its 3 variants: 2 x 3 sketches have a
  // max rf stage and 3 x 2 a sum rf stage.
  EXPECT_EQ(with_rf, 12);
}

TEST(Sketch, PoolingLeavesThePaddingToAnnotationAndDoesNotTile) {
  auto sketches = generate_sketches(task_of("max_pool2d", "n=1,c=64,h=56,w=56,kernel=3,stride=2,pad=1"));
  ASSERT_FALSE(sketches.empty());
  for (const auto& s : sketches) {
    std::printf("%s\n  %s\n", step_codes(s).c_str(), s.canonical_string().c_str());
    EXPECT_EQ(s.stage(1).compute_at, schedule::ComputeAtKind::Root);  // pad: a branch, not always inlined
    for (const auto& step : s.history()) EXPECT_NE(step.kind, schedule::StepKind::Reorder);  // no tiling
  }
}

TEST(Sketch, GpuSketchesInlineThePadding) {
  SearchTask t = conv_bias_relu_task();
  t.target = Target::gpu();
  for (const auto& s : generate_sketches(t))
    for (const auto& st : s.stages())
      if (st.op->name == "data_pad") {
        EXPECT_EQ(st.compute_at, schedule::ComputeAtKind::Inlined);
      }
}

TEST(Annotation, PaddingOfAConvIsComputedAtTheRootOrInsideTheConvsLoops) {
  // Ansor's CPU compute-location rule on a stage that is not always inlined: the
  // root or a loop of its consumer, down to the consumer's outer reduction tile,
  // never inside the inner spatial tile (nor inlined: the rule inlines only a
  // stage computed at some loop, and the sketch leaves the padding at the root).
  SearchTask task = conv_bias_relu_task();
  SearchOptions options;
  FactorizationCache cache;
  std::mt19937_64 rng(7);
  std::map<std::string, int> seen;
  for (const auto& sketch : generate_sketches(task))
    for (int k = 0; k < 40; ++k) {
      schedule::State s = annotate_sketch(task, options, sketch, cache, rng);
      const auto& pad = s.stage(3);
      ASSERT_NE(pad.compute_at, schedule::ComputeAtKind::Inlined);
      if (pad.compute_at == schedule::ComputeAtKind::Root) {
        ++seen["root"];
        continue;
      }
      const auto& conv = s.stage(pad.attach_stage);
      ASSERT_EQ(conv.op->name, "conv2d");
      bool after_reduce = false;
      for (const auto& it : conv.iters) {
        if (it.node == pad.attach_node) {
          ++seen[it.kind == schedule::IterKind::Reduce ? "reduce" : "spatial"];
          EXPECT_FALSE(after_reduce && it.kind == schedule::IterKind::Spatial) << "inside the inner tile";
        }
        after_reduce = after_reduce || it.kind == schedule::IterKind::Reduce;
      }
    }
  for (const char* kind : {"root", "spatial", "reduce"}) EXPECT_GT(seen[kind], 0) << kind;
}

namespace {

// The axis a tiled iterator was split from: "ff.3" -> "ff".
std::string axis_of(const schedule::Iterator& it) { return it.name.substr(0, it.name.find('.')); }

int reorder_steps(const schedule::State& s) {
  int n = 0;
  for (const auto& step : s.history()) n += step.kind == schedule::StepKind::Reorder;
  return n;
}

}  // namespace

TEST(Annotation, InnerTileReorderVectorizesAnNchwConvAlongItsOutputChannels) {
  // An NCHW conv computed inside its consumer's tile (a local accumulator) gets its
  // inner output-channel tile innermost (and vectorized) when that tile is longer
  // than 1 (vectorized when it fits the vectorize rule): the input is then a
  // broadcast and the weight is stored in loop order.
  // Never h: input rows are W apart. A conv at the root (writing a global buffer)
  // keeps its order.
  SearchTask task = conv_bias_relu_task();
  task.target.inner_tile_reorder_prob = 1;
  SearchOptions options;
  FactorizationCache cache;
  std::mt19937_64 rng(11);
  int moved = 0, kept = 0, uncached = 0;
  for (const auto& sketch : generate_sketches(task))
    for (int k = 0; k < 30; ++k) {
      schedule::State s = annotate_sketch(task, options, sketch, cache, rng);
      int added = reorder_steps(s) - reorder_steps(sketch);
      auto local = std::find_if(s.stages().begin(), s.stages().end(), [](const schedule::Stage& st) {
        return st.op->has_reduce() && st.compute_at == schedule::ComputeAtKind::Iter;
      });
      if (local == s.stages().end()) {
        EXPECT_EQ(added, 0);
        ++uncached;
        continue;
      }
      std::string o = local->op->axes[1].var->name, w = local->op->axes[3].var->name;
      auto inner_o = std::find_if(local->iters.begin(), local->iters.end(),
                                  [&](const schedule::Iterator& it) { return it.name == o + ".3"; });
      ASSERT_NE(inner_o, local->iters.end());
      const auto& innermost = local->iters.back();
      if (inner_o->extent > 1) {
        EXPECT_EQ(axis_of(innermost), o) << s.canonical_string();
        if (innermost.extent <= task.hardware().max_vectorize_size) {
          EXPECT_EQ(innermost.annotation, schedule::IterAnnotation::Vectorize);
        }
        EXPECT_EQ(added, 1);
        ++moved;
      } else {
        EXPECT_EQ(axis_of(innermost), w);
        EXPECT_EQ(added, 0);
        ++kept;
      }
    }
  EXPECT_GT(moved, 10);
  EXPECT_GT(kept, 0);
  EXPECT_GT(uncached, 0);
}

TEST(Annotation, InnerTileReorderLeavesDenseAndNhwcConvsInTheirOrder) {
  // Dense reads A[i, k]: i innermost would gather. An NHWC conv's innermost is its
  // output channel already, and h or w there would gather the input.
  SearchOptions options;
  FactorizationCache cache;
  std::mt19937_64 rng(12);
  for (const auto& [op, params] : std::vector<std::pair<std::string, std::string>>{
           {"dense", "m=64,k=128,n=256"}, {"conv2d", "layout=NHWC,h=14,w=14,c=32,o=64"}}) {
    SearchTask task = task_of(op, params);
    task.target.inner_tile_reorder_prob = 1;
    for (const auto& sketch : generate_sketches(task))
      for (int k = 0; k < 20; ++k)
        EXPECT_EQ(reorder_steps(annotate_sketch(task, options, sketch, cache, rng)), reorder_steps(sketch)) << op;
  }
}

TEST(Annotation, FullVectorTilesGiveSpatialSplitsAWholeVectorInnermost) {
  // With full_vector_tile_prob 1, the innermost output-channel tile of an NCHW conv
  // (64 channels) is a multiple of the lanes in every sample; w (56) has no such
  // factorization and keeps Ansor's draw, and so do reduction loops (rc, 64).
  // With 0 (Ansor's space) the innermost channel tile is often a part of a vector.
  SearchTask task = conv_bias_relu_task();
  FactorizationCache cache;
  std::mt19937_64 rng(13);
  for (int lanes : {16, 8}) {
    task.target.hardware.vector_lanes = lanes;
    for (double prob : {1.0, 0.0}) {
      SearchOptions options;
      task.target.full_vector_tile_prob = prob;
      int samples = 0, part_vector = 0, rc_part_vector = 0;
      for (const auto& sketch : generate_sketches(task))
        for (int k = 0; k < 40; ++k) {
          schedule::State s = annotate_sketch(task, options, sketch, cache, rng);
          for (const auto& st : s.stages()) {
            if (!st.op->has_reduce()) continue;
            std::string o = st.op->axes[1].var->name, rc = st.op->reduce_axes[0].var->name;
            for (const auto& it : st.iters) {
              if (it.name == o + ".3") {
                ++samples;
                part_vector += it.extent % lanes != 0;
              }
              if (it.name == rc + ".1") rc_part_vector += it.extent % lanes != 0;
            }
          }
        }
      ASSERT_GT(samples, 40) << lanes;
      if (prob == 1) {
        EXPECT_EQ(part_vector, 0) << lanes;
      } else {
        EXPECT_GT(part_vector, samples / 2) << lanes;
      }
      EXPECT_GT(rc_part_vector, 0) << lanes << " " << prob;
    }
  }
}

TEST(Annotation, FullVectorTilesLeaveGpuSamplingAlone) {
  // The GPU rules bind tiles to threads, not vector lanes: the same seed gives the
  // same States whatever the probability.
  SearchTask task{ops::build_op("dense", ops::OpParams::parse("m=64,k=128,n=256")).dag, Target::gpu()};
  std::vector<std::string> drawn[2];
  for (int p = 0; p < 2; ++p) {
    SearchOptions options;
    task.target.full_vector_tile_prob = p;
    FactorizationCache cache;
    std::mt19937_64 rng(14);
    for (const auto& sketch : generate_sketches(task))
      for (int k = 0; k < 10; ++k) {
        try {
          drawn[p].push_back(annotate_sketch(task, options, sketch, cache, rng).canonical_string());
        } catch (const Error& e) {  // a sample over a hardware limit, redrawn in the search
          drawn[p].push_back(e.what());
        }
      }
  }
  EXPECT_EQ(drawn[0], drawn[1]);
}
