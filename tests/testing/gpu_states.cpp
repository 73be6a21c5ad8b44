#include "testing/gpu_states.h"

#include "search/annotation_rules.h"
#include "search/mutation_rules.h"
#include "support/error.h"

namespace bcd::testutil {

search::SearchTask gpu_task(const ir::ComputeDAG& dag) {
  return search::SearchTask{dag, Target::gpu()};
}

schedule::State sample_gpu_state(const search::SearchTask& task, const std::vector<schedule::State>& sketches,
                                 search::FactorizationCache& cache, std::mt19937_64& rng, int max_attempts) {
  search::SearchOptions options;
  std::uniform_int_distribution<size_t> pick(0, sketches.size() - 1);
  for (int attempt = 0;; ++attempt) {
    try {
      schedule::State s = search::annotate_sketch(task, options, sketches[pick(rng)], cache, rng);
      int mutations = std::uniform_int_distribution<int>(0, 3)(rng);
      for (int m = 0; m < mutations; ++m)
        if (auto child = search::mutate(task, options, s, rng)) s = std::move(*child);
      return s;
    } catch (const Error&) {
      if (attempt + 1 >= max_attempts) throw;
    }
  }
}

}  // namespace bcd::testutil
