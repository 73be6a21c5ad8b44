// Ansor's sketch search policy for one task. Each round it samples an initial
// population from the task's sketches, evolves it under the cost model, and
// proposes the best unmeasured distinct States plus a few random ones
// (epsilon-greedy). Measurement happens outside (the tuning module owns the
// measurer and the records); observe() feeds the results back: the States are
// never proposed again and the cost model trains on them.
#pragma once
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "costmodel/cost_model.h"
#include "runtime/measure.h"
#include "schedule/state.h"
#include "search/evolutionary_search.h"
#include "search/factorization.h"
#include "search/search_options.h"
#include "search/search_task.h"

namespace bcd::search {

// Replaces random annotation of a sketch for the initial population (the diffusion
// posterior fills split lengths from a prior).
using InitSampler = std::function<schedule::State(const schedule::State& sketch, std::mt19937_64& rng)>;

// How the caller wants the policy to search (the diffusion posterior's reduced
// search); the default plan is Ansor's.
struct SearchPlan {
  int num_iterations = -1;                // evolutionary iterations; -1: SearchOptions::num_iterations
  std::vector<schedule::State> sketches;  // the sketches to sample from; empty: every sketch of the task
  InitSampler init_sampler;               // null: random annotation (annotate_sketch)
};

class SearchPolicy {
 public:
  SearchPolicy(SearchTask task, std::shared_ptr<costmodel::CostModel> model, SearchOptions options, uint64_t seed);

  const SearchTask& task() const { return task_; }
  const SearchOptions& options() const { return options_; }
  // Every sketch of the task.
  const std::vector<schedule::State>& all_sketches();
  // The sketches the plan samples from.
  const std::vector<schedule::State>& sketches();
  // Searches as `plan` says from the next round on; a default SearchPlan is Ansor's search.
  void set_plan(SearchPlan plan) { plan_ = std::move(plan); }
  const SearchPlan& plan() const { return plan_; }
  int num_iterations() const { return plan_.num_iterations >= 0 ? plan_.num_iterations : options_.num_iterations; }

  // `n` randomly annotated States (fewer if sampling stops making progress).
  std::vector<schedule::State> sample_initial_population(int n);
  // Up to `num_measure` States to measure next, none measured before.
  std::vector<schedule::State> propose(int num_measure);
  // Measured results of States (proposed now or loaded from records).
  void observe(const std::vector<schedule::State>& states, const std::vector<runtime::MeasureResult>& results,
               bool train_model = true);

  bool is_measured(const schedule::State& s) const { return measured_.count(s.canonical_string()) > 0; }
  int num_measured() const { return static_cast<int>(measured_.size()); }
  // The fastest measured State and its throughput (FLOP/s); nullptr if none yet.
  const schedule::State* best_state() const { return best_.empty() ? nullptr : &best_.front().second; }
  double best_throughput() const { return best_.empty() ? 0 : best_.front().first; }
  // The fastest measured States, best first (diffusion takes its priors here).
  std::vector<schedule::State> top_states(int n) const;
  const SearchStats& stats() const { return stats_; }
  costmodel::CostModel& model() { return *model_; }

 private:
  // The best-scored unmeasured State of each sketch (from `best`, else from
  // `population`), at most `limit` (SearchOptions::explore_sketches).
  std::vector<schedule::State> best_per_sketch(const std::vector<schedule::State>& best,
                                               const std::vector<schedule::State>& population, int limit);

  SearchTask task_;
  std::shared_ptr<costmodel::CostModel> model_;
  SearchOptions options_;
  std::mt19937_64 rng_;
  FactorizationCache factorizations_;
  std::vector<schedule::State> sketches_;
  bool sketches_ready_ = false;
  SearchPlan plan_;
  std::unordered_set<std::string> measured_;
  std::vector<std::pair<double, schedule::State>> best_;  // by throughput, best first
  SearchStats stats_;
};

}  // namespace bcd::search
