// Mutations of measured or evolved States (Ansor's CPU rules): move a factor
// between the parts of a split, change a compute location, the auto-unroll depth
// or how many outer loops are fused for parallelism. Each edits the step history
// and replays it; a mutation that yields an invalid State returns nullopt.
#pragma once
#include <optional>
#include <random>

#include "schedule/state.h"
#include "search/search_options.h"
#include "search/search_task.h"

namespace bcd::search {

std::optional<schedule::State> mutate_tile_size(const SearchTask& task, const schedule::State& s, std::mt19937_64& rng);
std::optional<schedule::State> mutate_auto_unroll(const SearchTask& task, const SearchOptions& options,
                                                  const schedule::State& s, std::mt19937_64& rng);
std::optional<schedule::State> mutate_compute_location(const SearchTask& task, const schedule::State& s,
                                                       std::mt19937_64& rng);
std::optional<schedule::State> mutate_parallel(const SearchTask& task, const schedule::State& s, std::mt19937_64& rng);

// Picks a rule by the weights in `options` and applies it. For a GPU task only
// the tile-size and auto-unroll rules (with the GPU unroll depths), and a child
// breaking a hardware limit is rejected.
std::optional<schedule::State> mutate(const SearchTask& task, const SearchOptions& options, const schedule::State& s,
                                      std::mt19937_64& rng);

}  // namespace bcd::search
