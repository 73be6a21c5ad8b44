#include "testing/random_states.h"

#include <algorithm>

#include "search/annotation_rules.h"
#include "search/mutation_rules.h"
#include "search/sketch_rules.h"
#include "support/error.h"

namespace bcd::testutil {

using namespace schedule;

std::vector<int64_t> divisors(int64_t n) {
  std::vector<int64_t> d;
  for (int64_t i = 1; i <= n; ++i)
    if (n % i == 0) d.push_back(i);
  return d;
}

namespace {

template <typename T>
const T& pick(const std::vector<T>& v, std::mt19937_64& rng) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

int uniform(int lo, int hi, std::mt19937_64& rng) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

std::vector<int> compute_stages(const State& s) {
  std::vector<int> ids;
  for (int i = 0; i < s.num_stages(); ++i)
    if (s.stage(i).kind == StageKind::Compute) ids.push_back(i);
  return ids;
}

// A random exact factorization of `extent` into `parts - 1` lengths.
std::vector<int64_t> random_lengths(int64_t extent, int parts, std::mt19937_64& rng) {
  std::vector<int64_t> lengths;
  int64_t rest = extent;
  for (int p = 0; p < parts - 1; ++p) {
    int64_t l = pick(divisors(rest), rng);
    lengths.push_back(l);
    rest /= l;
  }
  return lengths;
}

Step random_step(const State& s, std::mt19937_64& rng, const RandomStateOptions& o) {
  std::vector<int> stages = compute_stages(s);
  int sid = pick(stages, rng);
  const Stage& st = s.stage(sid);
  int n_iters = static_cast<int>(st.iters.size());
  int it = n_iters ? uniform(0, n_iters - 1, rng) : 0;
  switch (uniform(0, 13, rng)) {
    case 0:
    case 1:
    case 2: {
      int64_t extent = n_iters ? st.iters[it].extent : 1;
      return split_step(sid, it, extent, random_lengths(std::max<int64_t>(extent, 1), uniform(2, 4, rng), rng),
                        uniform(0, 1, rng) == 1);
    }
    case 3: {
      int len = uniform(2, 3, rng);
      int first = uniform(0, std::max(0, n_iters - len), rng);
      std::vector<int> ids;
      for (int k = first; k < std::min(n_iters, first + len); ++k) ids.push_back(k);
      return fuse_step(sid, ids);
    }
    case 4: {
      std::vector<int> order(n_iters);
      for (int k = 0; k < n_iters; ++k) order[k] = k;
      std::shuffle(order.begin(), order.end(), rng);
      return reorder_step(sid, order);
    }
    case 5:
    case 6: {
      static const std::vector<IterAnnotation> kinds = {IterAnnotation::Parallel, IterAnnotation::Vectorize,
                                                         IterAnnotation::Unroll};
      return annotation_step(sid, it, pick(kinds, rng));
    }
    case 7: {
      static const std::vector<int> steps = {0, 16, 64, 512};
      return pragma_step(sid, it, "auto_unroll_max_step$" + std::to_string(pick(steps, rng)));
    }
    case 8:
    case 9: {
      std::vector<int> consumers = s.effective_consumers(sid);
      if (consumers.size() != 1) return compute_root_step(sid);
      const Stage& t = s.stage(consumers[0]);
      int target_iter = t.iters.empty() ? 0 : uniform(0, static_cast<int>(t.iters.size()) - 1, rng);
      return compute_at_step(sid, consumers[0], target_iter);
    }
    case 10: return uniform(0, 2, rng) ? compute_inline_step(sid) : compute_root_step(sid);
    case 11:
      if (!o.allow_cache) return compute_root_step(sid);
      if (uniform(0, 1, rng)) return cache_write_step(sid, "local");
      {
        // Cache reads of any stage, placeholders included, for some of its readers.
        int src = uniform(0, s.num_stages() - 1, rng);
        std::vector<int> readers = s.consumers(src);
        if (readers.empty()) return compute_root_step(sid);
        std::shuffle(readers.begin(), readers.end(), rng);
        readers.resize(uniform(1, static_cast<int>(readers.size()), rng));
        std::sort(readers.begin(), readers.end());
        return cache_read_step(src, uniform(0, 1, rng) ? "local" : "global", readers);
      }
    case 12: {
      if (!o.allow_rfactor) return compute_root_step(sid);
      std::vector<int> reduce;
      for (int k = 0; k < n_iters; ++k)
        if (st.iters[k].kind == IterKind::Reduce) reduce.push_back(k);
      if (reduce.empty()) return compute_root_step(sid);
      return rfactor_step(sid, pick(reduce, rng), uniform(0, st.num_spatial_axes(), rng));
    }
    default: {
      int ndim = static_cast<int>(st.op->shape.size());
      int64_t factor = pick(std::vector<int64_t>{2, 4, 8, 16}, rng);
      return storage_align_step(sid, uniform(0, std::max(0, ndim - 1), rng), factor, uniform(0, int(factor) - 1, rng));
    }
  }
}

}  // namespace

State random_state(const ir::ComputeDAG& dag, std::mt19937_64& rng, const RandomStateOptions& options) {
  State s(dag);
  for (int k = 0; k < options.num_steps; ++k) {
    Step step = random_step(s, rng, options);
    try {
      s.apply(step);
    } catch (const Error&) {
      // An invalid step: the State is unchanged, try another.
    }
  }
  return s;
}

State search_state(const ir::ComputeDAG& dag, std::mt19937_64& rng) {
  search::SearchTask task{dag};
  task.target.hardware.num_cores = 2;
  search::SearchOptions options;
  thread_local search::FactorizationCache cache;
  auto sketches = search::generate_sketches(task);
  for (int attempt = 0;; ++attempt) {
    try {
      State s = search::annotate_sketch(task, options, pick(sketches, rng), cache, rng);
      int mutations = uniform(0, 3, rng);
      for (int m = 0; m < mutations; ++m)
        if (auto child = search::mutate(task, options, s, rng)) s = std::move(*child);
      return s;
    } catch (const Error&) {
      if (attempt > 20) throw;
    }
  }
}

}  // namespace bcd::testutil
