// Each diffusion rule on hand-picked extents (equal, divisible, not divisible,
// prime), and a property check: every rule always yields an exact factorization.
#include "diffusion/split_diffusion.h"

#include <gtest/gtest.h>

namespace bcd::diffusion {
namespace {

using L = std::vector<int64_t>;

L diffuse(const L& prior, int64_t prior_extent, int64_t extent, SplitRule rule, int64_t max_inner = 64) {
  search::FactorizationCache cache;
  std::mt19937_64 rng(7);
  return diffuse_split(prior, prior_extent, extent, rule, max_inner, cache, rng);
}

bool exact(const L& lengths, int64_t extent) {
  int64_t product = 1;
  for (int64_t l : lengths) {
    if (l < 1) return false;
    product *= l;
  }
  return extent % product == 0;
}

TEST(SplitDiffusion, EqualExtentsCopyUnderEveryRule) {
  for (SplitRule r : {SplitRule::CopyOrSnap, SplitRule::Scale, SplitRule::Random})
    EXPECT_EQ(diffuse({4, 2, 8}, 128, 128, r), (L{4, 2, 8}));
}

TEST(SplitDiffusion, CopyKeepsLengthsThatStillDivide) {
  EXPECT_EQ(diffuse({4, 2}, 64, 32, SplitRule::CopyOrSnap), (L{4, 2}));
  EXPECT_EQ(diffuse({7, 1}, 14, 28, SplitRule::CopyOrSnap), (L{7, 1}));
}

TEST(SplitDiffusion, CopySnapsLargestFirstWhenTheProductNoLongerDivides) {
  // 8 -> nearest divisor of 24 is 8, leaving 3; then 4 -> nearest divisor of 3 is 3.
  EXPECT_EQ(diffuse({4, 8}, 64, 24, SplitRule::CopyOrSnap), (L{3, 8}));
  // A prime extent: 4 is as far from 1 as from 7 (ties go to the smaller), 2 -> 1.
  EXPECT_EQ(diffuse({4, 2}, 64, 7, SplitRule::CopyOrSnap), (L{1, 1}));
  // 16 -> 14 (nearest divisor of 14 to 16), leaving 1.
  EXPECT_EQ(diffuse({16, 1}, 64, 14, SplitRule::CopyOrSnap), (L{14, 1}));
}

TEST(SplitDiffusion, ScaleMultipliesByTheExtentRatioThenSnaps) {
  EXPECT_EQ(diffuse({4, 2}, 64, 32, SplitRule::Scale), (L{2, 1}));       // exact halves
  // Doubled to 4, 8: 8 divides 112 leaving 14, whose divisor nearest 4 is 2.
  EXPECT_EQ(diffuse({2, 4}, 56, 112, SplitRule::Scale), (L{2, 8}));
  EXPECT_EQ(diffuse({4, 2}, 64, 7, SplitRule::Scale), (L{1, 1}));       // prime: 0.44, 0.22 -> 1, 1
  EXPECT_EQ(diffuse({3, 5}, 30, 45, SplitRule::Scale), (L{5, 9}));      // 7.5 -> 9 (of 45), 4.5 -> 5 (of 5)
}

TEST(SplitDiffusion, InnermostAboveTheBoundFallsBackToARandomFactorization) {
  L out = diffuse({1, 64}, 64, 128, SplitRule::Scale, 64);  // would be 128 innermost
  EXPECT_TRUE(exact(out, 128));
  EXPECT_LE(out.back(), 64);
}

TEST(SplitDiffusion, EveryRuleAlwaysYieldsAnExactFactorization) {
  std::mt19937_64 rng(3);
  search::FactorizationCache cache;
  const std::vector<int64_t> extents = {1, 2, 3, 7, 12, 13, 24, 28, 49, 56, 64, 96, 97, 112, 128, 224, 512, 1000};
  std::uniform_int_distribution<size_t> pick(0, extents.size() - 1);
  int checked = 0;
  for (int i = 0; i < 3000; ++i) {
    int64_t prior_extent = extents[pick(rng)], extent = extents[pick(rng)];
    int n = 1 + static_cast<int>(rng() % 3);
    L prior = cache.sample(prior_extent, n, 64, rng);
    for (SplitRule r : {SplitRule::CopyOrSnap, SplitRule::Scale, SplitRule::Random}) {
      L out = diffuse_split(prior, prior_extent, extent, r, 64, cache, rng);
      ASSERT_EQ(out.size(), prior.size());
      ASSERT_TRUE(exact(out, extent)) << prior_extent << " -> " << extent;
      ASSERT_LE(out.back(), 64);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 9000);
}

TEST(SplitDiffusion, RulesArePickedByWeight) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(pick_split_rule({0, 1, 0}, rng), SplitRule::Scale);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 3000; ++i) ++counts[static_cast<int>(pick_split_rule({}, rng))];
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);
}

}  // namespace
}  // namespace bcd::diffusion
