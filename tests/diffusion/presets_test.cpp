// The diffusion strategy's named settings: "artifact" is exactly the research
// artifact's, "default" what measured best, and anything else is refused.
#include "diffusion/presets.h"

#include <gtest/gtest.h>

#include "support/error.h"

namespace bcd::diffusion {
namespace {

TEST(DiffusionPresets, ArtifactIsTheArtifactsSettings) {
  DiffusionOptions o = diffusion_preset("artifact");
  EXPECT_EQ(o.group_type, GroupType::Operator);
  EXPECT_EQ(o.max_prior_rounds, 10);
  EXPECT_EQ(o.top_n, 2);
  EXPECT_EQ(o.posterior_iterations, 2);
  EXPECT_EQ(o.posterior_measure_fraction, 0.5);
  EXPECT_EQ(o.split_rules.copy_or_snap, 1);
  EXPECT_EQ(o.split_rules.scale, 1);
  EXPECT_EQ(o.split_rules.random, 1);
  EXPECT_EQ(o.unroll_copy_rate, 1);
  EXPECT_TRUE(o.reduce_singletons);
  EXPECT_EQ(o.release_after_rounds, 0);  // nothing is ever released
  EXPECT_EQ(o.release_below_rate, 0);
  EXPECT_FALSE(o.prior_per_sketch);
  EXPECT_EQ(o.posterior_open_fraction, 0);  // every posterior State diffused
  EXPECT_EQ(o.stage_naming, search::StageNaming::Operation);
  EXPECT_FALSE(o.posterior_floor);
  EXPECT_FALSE(o.singleton_floor);
  EXPECT_EQ(o.posterior_first_measures, 0);  // a posterior round's
  EXPECT_EQ(describe_options(o),
            "operator clusters, up to 10 prior rounds, top 2 priors, posteriors 2 iterations and 0.5 of a round, "
            "split rules 1,1,1, unroll copy rate 1, reduced singletons, never released");
}

TEST(DiffusionPresets, DefaultIsTheMeasuredBestAndTheStructsDefaults) {
  DiffusionOptions o = diffusion_preset("default");
  EXPECT_EQ(o.group_type, GroupType::Loops);
  EXPECT_EQ(o.max_prior_rounds, 2);
  EXPECT_EQ(o.release_after_rounds, 2);
  EXPECT_TRUE(o.prior_per_sketch);
  EXPECT_EQ(o.posterior_open_fraction, 0.5);
  EXPECT_EQ(o.posterior_first_measures, 8);
  EXPECT_TRUE(o.singleton_floor);
  EXPECT_EQ(describe_options(o), describe_options(DiffusionOptions{}));
  // Everything else is the artifact's.
  DiffusionOptions a = diffusion_preset("artifact");
  a.group_type = GroupType::Loops;
  a.max_prior_rounds = 2;
  a.release_after_rounds = 2;
  a.prior_per_sketch = true;
  a.posterior_open_fraction = 0.5;
  a.posterior_first_measures = 8;
  a.singleton_floor = true;
  EXPECT_EQ(describe_options(a), describe_options(o));
  EXPECT_TRUE(describe_options(o).ends_with("released after 2 stalled rounds, 0.5 of a posterior's population "
                                            "drawn as Ansor's, reduced singletons topped up to Ansor's warm-up, "
                                            "first posterior rounds of 8"))
      << describe_options(o);
  o.posterior_floor = true;  // the options off in both presets are named when on; it covers the singletons
  o.stage_naming = search::StageNaming::Role;
  EXPECT_TRUE(describe_options(o).ends_with(
      ", stages named by role, reduced tasks topped up to Ansor's warm-up, first posterior rounds of 8"))
      << describe_options(o);
  o.posterior_floor = false;
  o.singleton_floor = false;
  EXPECT_TRUE(describe_options(o).ends_with(", stages named by role, first posterior rounds of 8"))
      << describe_options(o);
}

TEST(DiffusionPresets, AnUnknownNameIsRefusedNamingTheKnownOnes) {
  try {
    diffusion_preset("paper");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown diffusion preset 'paper' (default or artifact)");
  }
}

}  // namespace
}  // namespace bcd::diffusion
