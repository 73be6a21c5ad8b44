// GPU States as the search produces them, for tests: a GPU sketch annotated at
// random (the initial population), then up to three GPU mutations (the
// evolutionary search).
#pragma once
#include <random>

#include "schedule/state.h"
#include "search/factorization.h"
#include "search/search_options.h"
#include "search/search_task.h"

namespace bcd::testutil {

// A "cuda" task with the default (H100-like) GPU hardware.
search::SearchTask gpu_task(const ir::ComputeDAG& dag);

// Fails (bcd::Error) if no sample succeeds in `max_attempts`.
schedule::State sample_gpu_state(const search::SearchTask& task, const std::vector<schedule::State>& sketches,
                                 search::FactorizationCache& cache, std::mt19937_64& rng, int max_attempts = 50);

}  // namespace bcd::testutil
