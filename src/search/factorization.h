// Exact factorizations of loop extents: the split lengths Ansor samples from.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

namespace bcd::search {

// All tuples of `n` lengths (outer to inner) whose product divides `extent`, with
// the innermost at most `max_innermost`. Memoized: the same extents recur. Safe to
// use from several threads (the search annotates and mutates in parallel); the
// schemes returned stay valid as the memo grows.
class FactorizationCache {
 public:
  const std::vector<std::vector<int64_t>>& schemes(int64_t extent, int n, int64_t max_innermost);
  // A scheme drawn uniformly.
  const std::vector<int64_t>& sample(int64_t extent, int n, int64_t max_innermost, std::mt19937_64& rng);
  // A scheme drawn uniformly among those whose innermost length is a multiple of
  // `multiple`; from all of them (sample()) where there is none.
  const std::vector<int64_t>& sample_inner_multiple(int64_t extent, int n, int64_t max_innermost, int64_t multiple,
                                                    std::mt19937_64& rng);
  // A scheme drawn uniformly among those `admits` accepts; the all-ones scheme (it
  // always exists) when it accepts none.
  std::vector<int64_t> sample_admitted(int64_t extent, int n, int64_t max_innermost,
                                       const std::function<bool(const std::vector<int64_t>&)>& admits,
                                       std::mt19937_64& rng);

 private:
  std::map<std::tuple<int64_t, int, int64_t>, std::vector<std::vector<int64_t>>> memo_;
  // Indices into memo_'s schemes whose innermost length is a multiple of the last key.
  std::map<std::tuple<int64_t, int, int64_t, int64_t>, std::vector<size_t>> inner_multiple_memo_;
  std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();  // shared_ptr: the cache stays copyable
};

std::vector<int64_t> divisors_of(int64_t n);
// The largest divisor of `n` that is at most `limit` (1 when none above 1 is).
int64_t largest_divisor_at_most(int64_t n, int64_t limit);

}  // namespace bcd::search
