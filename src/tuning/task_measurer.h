// Measuring candidate States of one task on this machine: lower and generate each,
// build them in parallel, run them in the isolated worker on seeded random inputs,
// and verify the round's fastest (or every candidate) against the output of the
// task's unscheduled program, which the equivalence oracle checks against the
// naive references. The round's fastest is also timed again in a fresh worker
// (confirm_fastest.h).
#pragma once
#include <vector>

#include "tuning/measurer.h"

namespace bcd::tuning {

// How a candidate finds the caches when it is timed.
enum class CacheState : uint8_t {
  Warm,             // as its previous run left them
  Flushed,          // all flushed: a network's weights when they do not fit in the cache
  ColdActivations,  // inputs (but the weights) and outputs evicted, the weights warm:
                    // a network's activations where its cores share no fast cache
};

// The settings tuning runs use: 3 repeats of at least 20 ms each (short kernels are
// repeated inside a repeat so that timer noise stays small), `timeout_seconds` per
// candidate. With cold caches, instead single runs, each after the flush: 5 of
// them (a flush takes milliseconds), 10 after evicting the activations (a cheaper
// eviction, and short kernels need more runs for a stable median).
MeasureOptions tuning_measure_options(double timeout_seconds = 10, CacheState cache = CacheState::Warm);

// Seconds a candidate may take once the task's fastest runs in `best_cost` seconds:
// its warm-up and repeats at `slowdown_cutoff` times that pace, the cache flushes
// before its repeats (and the flush buffer's first write) at a floor of 1 GB/s, and
// a second for the worker; never more than runner.timeout_seconds. A slower
// candidate cannot win and is cut off as a timeout.
double candidate_time_budget(const runtime::RunnerOptions& runner, double best_cost, double slowdown_cutoff);

class TaskMeasurer : public Measurer {
 public:
  TaskMeasurer(const search::SearchTask& task, MeasureOptions options);
  std::vector<runtime::MeasureResult> measure(const std::vector<schedule::State>& states) override;
  const MeasureStats& stats() const override { return stats_; }

 private:
  const search::SearchTask& task_;
  MeasureOptions options_;
  runtime::RunSpec spec_;
  MeasureStats stats_;
  double best_cost_ = 0;  // seconds per run of the fastest candidate so far
};

}  // namespace bcd::tuning
