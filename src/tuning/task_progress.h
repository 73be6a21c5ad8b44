// Where a task stands in a tuning run (the task scheduler keeps one per task).
#pragma once
#include <limits>
#include <vector>

namespace bcd::tuning {

// Where a task stands.
struct TaskProgress {
  int trials = 0;  // measured candidates, errors included
  int rounds = 0;
  double best_seconds = std::numeric_limits<double>::infinity();
  int trials_at_best = 0;            // `trials` when the best last improved
  std::vector<double> best_history;  // best after each of its rounds
  bool dead = false;
};

}  // namespace bcd::tuning
