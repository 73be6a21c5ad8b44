// Evolutionary search over States guided by the cost model (Ansor): score the
// population, keep a heap of the best distinct unmeasured States, pick parents in
// proportion to their score and mutate them, for a number of iterations.
#pragma once
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "costmodel/cost_model.h"
#include "schedule/state.h"
#include "search/search_options.h"
#include "search/search_task.h"

namespace bcd::search {

// Where a round's time goes (seconds), accumulated.
struct SearchStats {
  double sample_seconds = 0;
  double evolve_seconds = 0;   // mutation and replay
  double score_seconds = 0;    // lowering, featurization, prediction
  double train_seconds = 0;
  int64_t states_scored = 0;
  int64_t mutations_failed = 0;
  // Internal errors (bugs, not invalid candidates) skipped while this policy
  // proposed: sampling, mutation, lowering for the cost model.
  int64_t internal_errors = 0;
};

// Features of each State's program for `target` (empty rows when it cannot be lowered).
std::vector<costmodel::ProgramFeatures> featurize(const std::vector<schedule::State>& states,
                                                  const Target& target);

// Model scores of each State; -inf for one that cannot be lowered.
std::vector<double> score_states(const std::vector<schedule::State>& states, const Target& target,
                                 costmodel::CostModel& model, SearchStats* stats = nullptr);

// Up to `out_size` distinct States whose canonical strings are not in
// `measured`, best predicted first.
std::vector<schedule::State> evolutionary_search(const SearchTask& task, const SearchOptions& options,
                                                 std::vector<schedule::State> population, int out_size,
                                                 costmodel::CostModel& model,
                                                 const std::unordered_set<std::string>& measured, std::mt19937_64& rng,
                                                 SearchStats* stats = nullptr);

}  // namespace bcd::search
