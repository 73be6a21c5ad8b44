// How the task scheduler tunes one task: a plan. The default plan is Ansor's
// search with the scheduler's measures per round. A strategy that wants otherwise
// (Bayesian Code Diffusion's posteriors: fewer evolutionary iterations, half the
// measures, the prior's sketches, diffused initial populations) hands the
// scheduler a plan per task instead of reconfiguring the search itself; the
// scheduler applies it, checks its release rule after every round of the task,
// and on release goes back to the default plan and reports why.
#pragma once
#include <string>

#include "search/search_policy.h"
#include "tuning/task_progress.h"

namespace bcd::tuning {

// When a task leaves its plan for Ansor's search. Both rules off: never.
struct ReleaseRule {
  // Its best latency did not improve over its last this many rounds (0: never).
  int after_stalled_rounds = 0;
  // Its best FLOP rate is below `below_rate` of task `reference`'s (0: never).
  int reference = -1;
  double below_rate = 0;
};

struct TaskPlan {
  std::string label;            // what the plan is, for reports ("posterior of conv2d_3"); "" for Ansor's
  search::SearchPlan search;    // iterations, sketches, initial-population sampler
  int measures_per_round = 0;   // 0: the scheduler's num_measures_per_round
  ReleaseRule release;
  bool is_default() const { return label.empty(); }
};

// Whether a task's best latency did not improve over its last `rounds` rounds
// (false while it has had no more than `rounds` rounds; `rounds` > 0).
bool stalled(const TaskProgress& progress, int rounds);

}  // namespace bcd::tuning
