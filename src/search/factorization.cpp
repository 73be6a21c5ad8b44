#include "search/factorization.h"

#include <algorithm>

#include "support/error.h"

namespace bcd::search {

std::vector<int64_t> divisors_of(int64_t n) {
  std::vector<int64_t> small, large;
  for (int64_t d = 1; d * d <= n; ++d)
    if (n % d == 0) {
      small.push_back(d);
      if (d * d != n) large.push_back(n / d);
    }
  small.insert(small.end(), large.rbegin(), large.rend());
  return small;
}

int64_t largest_divisor_at_most(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0) return d;
  return 1;
}

namespace {
void enumerate(int64_t rest, int n, int64_t max_innermost, std::vector<int64_t>& prefix,
               std::vector<std::vector<int64_t>>& out) {
  if (static_cast<int>(prefix.size()) == n) {
    out.push_back(prefix);
    return;
  }
  bool innermost = static_cast<int>(prefix.size()) == n - 1;
  for (int64_t d : divisors_of(rest)) {
    if (innermost && d > max_innermost) break;
    prefix.push_back(d);
    enumerate(rest / d, n, max_innermost, prefix, out);
    prefix.pop_back();
  }
}
}  // namespace

const std::vector<std::vector<int64_t>>& FactorizationCache::schemes(int64_t extent, int n, int64_t max_innermost) {
  BCD_CHECK(extent >= 1 && n >= 1, "factorize {} into {}", extent, n);
  std::lock_guard<std::mutex> lock(*mutex_);
  auto key = std::make_tuple(extent, n, max_innermost);
  auto it = memo_.find(key);
  if (it != memo_.end()) return it->second;
  std::vector<std::vector<int64_t>> out;
  std::vector<int64_t> prefix;
  enumerate(extent, n, max_innermost, prefix, out);
  return memo_.emplace(key, std::move(out)).first->second;
}

const std::vector<int64_t>& FactorizationCache::sample(int64_t extent, int n, int64_t max_innermost,
                                                      std::mt19937_64& rng) {
  const auto& all = schemes(extent, n, max_innermost);
  return all[std::uniform_int_distribution<size_t>(0, all.size() - 1)(rng)];
}

const std::vector<int64_t>& FactorizationCache::sample_inner_multiple(int64_t extent, int n, int64_t max_innermost,
                                                                     int64_t multiple, std::mt19937_64& rng) {
  BCD_CHECK(multiple >= 1, "innermost multiple {}", multiple);
  const auto& all = schemes(extent, n, max_innermost);
  auto key = std::make_tuple(extent, n, max_innermost, multiple);
  const std::vector<size_t>* found;
  {
    std::lock_guard<std::mutex> lock(*mutex_);
    auto it = inner_multiple_memo_.find(key);
    if (it == inner_multiple_memo_.end()) {
      std::vector<size_t> picked;
      for (size_t i = 0; i < all.size(); ++i)
        if (all[i].back() % multiple == 0) picked.push_back(i);
      it = inner_multiple_memo_.emplace(key, std::move(picked)).first;
    }
    found = &it->second;
  }
  const std::vector<size_t>& picked = *found;
  if (picked.empty()) return sample(extent, n, max_innermost, rng);
  return all[picked[std::uniform_int_distribution<size_t>(0, picked.size() - 1)(rng)]];
}

std::vector<int64_t> FactorizationCache::sample_admitted(int64_t extent, int n, int64_t max_innermost,
                                                         const std::function<bool(const std::vector<int64_t>&)>& admits,
                                                         std::mt19937_64& rng) {
  const auto& all = schemes(extent, n, max_innermost);
  std::vector<size_t> picked;
  for (size_t i = 0; i < all.size(); ++i)
    if (admits(all[i])) picked.push_back(i);
  if (picked.empty()) return std::vector<int64_t>(n, 1);
  return all[picked[std::uniform_int_distribution<size_t>(0, picked.size() - 1)(rng)]];
}

}  // namespace bcd::search
