// Diffusion of split lengths (DESIGN.md section 7, step 4): a prior State's tile
// sizes, tuned for one extent, adapted to the extent of another task's matching
// split step. Every result is an exact factorization: all lengths >= 1 and their
// product divides the new extent (the outermost part takes the rest).
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "search/factorization.h"

namespace bcd::diffusion {

enum class SplitRule {
  CopyOrSnap,  // copy if the product still divides the extent, else snap
  Scale,       // scale every length by new extent / prior extent, then snap
  Random,      // a uniform random factorization (plain Ansor)
};

// Relative weights of the rules when the extents differ (the artifact's: uniform).
struct SplitRuleWeights {
  double copy_or_snap = 1;
  double scale = 1;
  double random = 1;
};

SplitRule pick_split_rule(const SplitRuleWeights& weights, std::mt19937_64& rng);

// Each wanted length, largest first, becomes the divisor of the extent still to be
// split that is nearest to it (ties to the smaller); returned in the input order.
std::vector<int64_t> snap_to_divisors(const std::vector<double>& wanted, int64_t extent);

// The lengths of a split of `extent` diffused from a prior split of `prior_extent`
// with `prior_lengths` (outer to inner). Equal extents copy the lengths whatever the
// rule. An innermost length above `max_innermost` falls back to a random
// factorization, as the search space requires.
std::vector<int64_t> diffuse_split(const std::vector<int64_t>& prior_lengths, int64_t prior_extent, int64_t extent,
                                   SplitRule rule, int64_t max_innermost, search::FactorizationCache& cache,
                                   std::mt19937_64& rng);

}  // namespace bcd::diffusion
