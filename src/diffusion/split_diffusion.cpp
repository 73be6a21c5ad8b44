#include "diffusion/split_diffusion.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "support/error.h"

namespace bcd::diffusion {

SplitRule pick_split_rule(const SplitRuleWeights& w, std::mt19937_64& rng) {
  BCD_CHECK(w.copy_or_snap >= 0 && w.scale >= 0 && w.random >= 0 && w.copy_or_snap + w.scale + w.random > 0,
            "split rule weights {} {} {}", w.copy_or_snap, w.scale, w.random);
  std::discrete_distribution<int> pick({w.copy_or_snap, w.scale, w.random});
  return static_cast<SplitRule>(pick(rng));
}

std::vector<int64_t> snap_to_divisors(const std::vector<double>& wanted, int64_t extent) {
  std::vector<size_t> order(wanted.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return wanted[a] > wanted[b]; });
  std::vector<int64_t> out(wanted.size(), 1);
  int64_t remaining = extent;
  for (size_t i : order) {
    int64_t best = 1;
    double best_distance = std::abs(wanted[i] - 1.0);
    for (int64_t d : search::divisors_of(remaining)) {
      double distance = std::abs(wanted[i] - static_cast<double>(d));
      if (distance < best_distance) best = d, best_distance = distance;
    }
    out[i] = best;
    remaining /= best;
  }
  return out;
}

std::vector<int64_t> diffuse_split(const std::vector<int64_t>& prior_lengths, int64_t prior_extent, int64_t extent,
                                   SplitRule rule, int64_t max_innermost, search::FactorizationCache& cache,
                                   std::mt19937_64& rng) {
  BCD_CHECK(extent > 0 && prior_extent > 0, "split extents {} and {}", prior_extent, extent);
  int n = static_cast<int>(prior_lengths.size());
  auto random = [&] { return cache.sample(extent, n, max_innermost, rng); };
  std::vector<int64_t> out;
  if (extent == prior_extent) {
    out = prior_lengths;
  } else if (rule == SplitRule::Random) {
    return random();
  } else if (rule == SplitRule::CopyOrSnap) {
    int64_t product = 1;
    for (int64_t l : prior_lengths) product *= std::max<int64_t>(l, 1);
    if (extent % product == 0) {
      out = prior_lengths;
    } else {
      out = snap_to_divisors(std::vector<double>(prior_lengths.begin(), prior_lengths.end()), extent);
    }
  } else {
    double ratio = static_cast<double>(extent) / static_cast<double>(prior_extent);
    std::vector<double> wanted;
    for (int64_t l : prior_lengths) wanted.push_back(static_cast<double>(l) * ratio);
    out = snap_to_divisors(wanted, extent);
  }
  if (!out.empty() && out.back() > max_innermost) return random();
  return out;
}

}  // namespace bcd::diffusion
