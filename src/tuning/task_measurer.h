// Measuring candidate States of one task on this machine: lower and generate each,
// build them in parallel, run them in the isolated worker on seeded random inputs,
// and verify the round's fastest (or every candidate) against the output of the
// task's unscheduled program, which the equivalence oracle checks against the
// naive references.
#pragma once
#include <vector>

#include "runtime/measure.h"
#include "schedule/state.h"
#include "search/search_task.h"

namespace bcd::tuning {

struct MeasureOptions {
  runtime::BuilderOptions builder;
  runtime::RunnerOptions runner;
  bool verify_best = true;  // re-run the round's fastest candidate with verification
  bool verify_all = false;
  uint64_t input_seed = 0;
  // A candidate this many times slower than the task's best so far is stopped
  // (recorded as a timeout) instead of being timed to the end: it cannot win, and
  // pathological schedules (recomputing a big stage in an inner loop) can run for
  // minutes. runner.timeout_seconds stays the upper bound.
  double slowdown_cutoff = 50;
};

// The settings tuning runs use: 3 repeats of at least 20 ms each (short kernels are
// repeated inside a repeat so that timer noise stays small), `timeout_seconds` per
// candidate.
MeasureOptions tuning_measure_options(double timeout_seconds = 10);

struct MeasureStats {
  double lower_seconds = 0;
  double build_seconds = 0;
  double run_seconds = 0;
  int verified = 0;
  int wrong = 0;
};

class TaskMeasurer {
 public:
  TaskMeasurer(const search::SearchTask& task, MeasureOptions options);
  std::vector<runtime::MeasureResult> measure(const std::vector<schedule::State>& states);
  const MeasureStats& stats() const { return stats_; }

 private:
  const search::SearchTask& task_;
  MeasureOptions options_;
  runtime::RunSpec spec_;
  MeasureStats stats_;
  double best_cost_ = 0;  // seconds per run of the fastest candidate so far
};

}  // namespace bcd::tuning
