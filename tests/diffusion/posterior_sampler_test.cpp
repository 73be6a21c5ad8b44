// Diffusion across tasks whose DAGs number their stages differently: a 1x1 conv2d
// without padding has no pad stage, a padded 3x3 conv2d has one (TVM's conv2d
// always has it, so the artifact matches them by index). The posterior must still
// find the prior's sketch and copy its tile sizes and unroll depth.
#include "diffusion/posterior_sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "search/sketch_signature.h"
#include "ops/registry.h"
#include "search/annotation_rules.h"
#include "search/sketch_rules.h"

namespace bcd::diffusion {
namespace {

using schedule::Step;
using schedule::StepKind;

search::SearchTask task_of(const std::string& op, const std::string& params) {
  search::SearchTask t{ops::build_op(op, ops::OpParams::parse(params)).dag};
  t.target.hardware.num_cores = 2;
  return t;
}

// A prior conv and a posterior conv with the same 14x14x32 output; only the
// posterior has a pad stage.
class PosteriorSampler : public ::testing::Test {
 protected:
  search::SearchTask prior_task = task_of("conv2d", "c=16,o=32,h=14,w=14,kernel=1,pad=0");
  search::SearchTask post_task = task_of("conv2d", "c=8,o=32,h=14,w=14,kernel=3,pad=1");
  std::vector<schedule::State> prior_sketches = search::generate_sketches(prior_task);
  std::vector<schedule::State> post_sketches = search::generate_sketches(post_task);
};

TEST_F(PosteriorSampler, CopiesTilesBetweenConvsWithAndWithoutAPadStage) {
  ASSERT_NE(prior_task.dag.ops().size(), post_task.dag.ops().size());  // the pad stage
  ASSERT_EQ(prior_sketches.size(), post_sketches.size());
  for (size_t k = 0; k < prior_sketches.size(); ++k)
    EXPECT_EQ(search::sketch_signature(prior_sketches[k]), search::sketch_signature(post_sketches[k])) << "sketch " << k;

  search::SearchOptions options;
  search::FactorizationCache cache;
  SplitRuleWeights copy_only{1, 0, 0};
  int copied = 0, unroll_checked = 0;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    std::mt19937_64 rng(seed);
    schedule::State prior = search::annotate_sketch(prior_task, options, prior_sketches[0], cache, rng);
    PriorSchedule ps = prior_schedule(prior);
    ASSERT_FALSE(ps.splits.empty());
    schedule::State post = diffuse_state(post_task, options, post_sketches[0], {ps}, copy_only, cache, rng);

    // Every split of the posterior whose prior split has the same extent has the
    // prior's lengths; the others are exact factorizations of their own extent.
    const std::vector<Step>& steps = post.history();
    std::vector<std::string> stages = search::step_stage_keys(post_task.dag, steps);
    std::map<std::pair<std::string, int>, int> seen;
    for (size_t i = 0; i < steps.size(); ++i) {
      const Step& s = steps[i];
      if (s.kind == StepKind::Split) {
        int occurrence = seen[{stages[i], s.iter_id}]++;
        auto match = ps.splits.find({stages[i], s.iter_id, occurrence});
        ASSERT_NE(match, ps.splits.end()) << "split " << i << " of " << stages[i] << " has no prior";
        int64_t product = 1;
        for (int64_t l : s.lengths) product *= l;
        EXPECT_EQ(s.extent % product, 0);
        if (match->second.extent == s.extent) {
          EXPECT_EQ(s.lengths, match->second.lengths) << "split " << i << " of " << stages[i];
          ++copied;
        }
      }
      if (s.kind == StepKind::Pragma) {
        auto it = ps.unroll_pragmas.find(stages[i]);
        ASSERT_NE(it, ps.unroll_pragmas.end());
        EXPECT_EQ(s.pragma, it->second);
        ++unroll_checked;
      }
    }
  }
  EXPECT_GE(copied, 8 * 4);  // at least the four output dimensions, every time
  EXPECT_GT(unroll_checked, 0);
}

TEST_F(PosteriorSampler, UnrollCopyRateZeroKeepsTheAnnotationsOwnDepth) {
  search::SearchOptions options;
  search::FactorizationCache cache;
  auto pragmas = [](const schedule::State& s) {
    std::vector<std::string> out;
    for (const Step& step : s.history())
      if (step.kind == StepKind::Pragma) out.push_back(step.pragma);
    return out;
  };
  std::mt19937_64 prior_rng(3);
  PriorSchedule ps = prior_schedule(search::annotate_sketch(prior_task, options, prior_sketches[0], cache, prior_rng));
  ASSERT_EQ(ps.unroll_pragmas.size(), 1u);
  const std::string prior_depth = ps.unroll_pragmas.begin()->second;
  int own_depth = 0;
  for (uint64_t seed = 0; seed < 32; ++seed) {
    std::mt19937_64 rng_copy(seed), rng_own(seed);
    schedule::State copied = diffuse_state(post_task, options, post_sketches[0], {ps}, {}, cache, rng_copy, 1);
    schedule::State own = diffuse_state(post_task, options, post_sketches[0], {ps}, {}, cache, rng_own, 0);
    EXPECT_EQ(pragmas(copied), std::vector<std::string>{prior_depth});
    ASSERT_EQ(pragmas(own).size(), 1u);
    // Everything but the depth is the same diffusion (the draw comes after it).
    std::vector<Step> a = copied.history(), b = own.history();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].kind != StepKind::Split) continue;
      EXPECT_EQ(a[i].lengths, b[i].lengths) << "seed " << seed << " step " << i;
    }
    own_depth += pragmas(own)[0] != prior_depth;
  }
  // Ansor draws the depth from four values: about 3 in 4 differ from the prior's.
  EXPECT_GE(own_depth, 12);
}

TEST_F(PosteriorSampler, TakesThePriorsInnerTileOrderWhateverItsOwnDrawWouldBe) {
  // NCHW convs with the same output: the inner tile may put the output channel
  // innermost (search::reorder_inner_tile). A prior made with that rule always on,
  // or always off, passes its order on even to a posterior whose own options say
  // the opposite.
  search::FactorizationCache cache;
  SplitRuleWeights copy_only{1, 0, 0};
  auto innermost = [](const schedule::State& s) {
    std::map<std::string, int> out;
    for (auto [id, axis] : search::inner_tile_axes(s)) out[search::stage_key(s, id)] = axis;
    return out;
  };
  int reordered = 0, kept = 0;
  for (double prior_prob : {0.0, 1.0}) {
    search::SearchOptions prior_options, post_options;
    prior_task.target.inner_tile_reorder_prob = prior_prob;
    post_task.target.inner_tile_reorder_prob = 1 - prior_prob;
    for (size_t k = 0; k < prior_sketches.size(); ++k) {
      for (uint64_t seed = 0; seed < 6; ++seed) {
        std::mt19937_64 rng(seed);
        schedule::State prior = search::annotate_sketch(prior_task, prior_options, prior_sketches[k], cache, rng);
        PriorSchedule ps = prior_schedule(prior);
        EXPECT_EQ(ps.inner_tile_axes, innermost(prior));
        if (ps.inner_tile_axes.empty()) continue;  // a sketch without a local accumulator
        schedule::State post = diffuse_state(post_task, post_options, post_sketches[k], {ps}, copy_only, cache, rng);
        EXPECT_EQ(innermost(post), ps.inner_tile_axes) << "sketch " << k << " seed " << seed;
        // The output channel (axis 1; with the rule always on, unless its inner
        // tile is 1) or w (axis 3, the tensor's own order).
        for (auto [key, axis] : ps.inner_tile_axes) {
          if (prior_prob == 0) {
            EXPECT_EQ(axis, 3) << key;
          }
          (axis == 1 ? reordered : kept)++;
        }
      }
    }
  }
  EXPECT_GT(reordered, 0);
  EXPECT_GT(kept, 0);
}

TEST(SketchSignature, NamesStagesByOperationSoShiftedIndicesStillAgree) {
  search::SearchTask a = task_of("conv2d", "c=16,o=32,h=14,w=14,kernel=1,pad=0");
  search::SearchTask b = task_of("conv2d", "c=16,o=32,h=14,w=14,kernel=3,pad=1");
  std::vector<schedule::State> sa = search::generate_sketches(a), sb = search::generate_sketches(b);
  ASSERT_FALSE(sa.empty());
  ASSERT_FALSE(sb.empty());
  // The split steps name the same stages although the indices differ.
  auto split_stages = [](const search::SearchTask& t, const schedule::State& sketch) {
    std::vector<std::string> keys = search::step_stage_keys(t.dag, sketch.history()), out;
    for (size_t i = 0; i < keys.size(); ++i)
      if (sketch.history()[i].kind == StepKind::Split) out.push_back(keys[i]);
    return out;
  };
  std::vector<std::string> split_a = split_stages(a, sa[0]);
  ASSERT_FALSE(split_a.empty());
  EXPECT_EQ(split_a, split_stages(b, sb[0]));
  bool shifted = false;
  for (size_t i = 0; i < std::min(sa[0].history().size(), sb[0].history().size()); ++i)
    shifted = shifted || sa[0].history()[i].stage_id != sb[0].history()[i].stage_id;
  EXPECT_TRUE(shifted);
  // Different operators still differ.
  search::SearchTask pool = task_of("max_pool2d", "c=16,h=14,w=14");
  EXPECT_NE(search::sketch_signature(search::generate_sketches(pool)[0]), search::sketch_signature(sa[0]));
}

}  // namespace
}  // namespace bcd::diffusion
