// Random schedules for the equivalence oracle: random transform steps, each
// applied only if the State accepts it, so every State produced is one that the
// step validation calls valid.
#pragma once
#include <random>

#include "schedule/transform_step.h"

namespace bcd::testutil {

struct RandomStateOptions {
  int num_steps = 12;         // attempted steps (invalid ones are skipped)
  bool allow_cache = true;    // cache_read / cache_write
  bool allow_rfactor = true;
};

schedule::State random_state(const ir::ComputeDAG& dag, std::mt19937_64& rng,
                             const RandomStateOptions& options = {});

// What the search produces: a sketch annotated at random (the initial
// population), then up to three mutations (the evolutionary search).
schedule::State search_state(const ir::ComputeDAG& dag, std::mt19937_64& rng);

// Divisors of n in increasing order.
std::vector<int64_t> divisors(int64_t n);

}  // namespace bcd::testutil
