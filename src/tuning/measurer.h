// What measures a task's candidate States, as the task scheduler sees it: this
// machine's builder and isolated worker (TaskMeasurer), or workers on other
// machines through a broker (broker::BrokerMeasurer). Every implementation returns
// one result per State, in order, with errors as results, never as exceptions
// (an exception ends the run: the broker gone for good, a full disk).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "runtime/measure.h"
#include "schedule/state.h"
#include "search/search_task.h"

namespace bcd::tuning {

struct MeasureOptions {
  runtime::BuilderOptions builder;
  runtime::RunnerOptions runner;
  bool verify_best = true;  // re-run the round's fastest candidate with verification
  // Time the round's fastest again in a fresh worker and keep the slower time
  // (confirm_fastest.h): a lucky time must not make a program the task's best.
  bool retime_best = true;
  bool verify_all = false;
  uint64_t input_seed = 0;
  // A candidate this many times slower than the task's best so far is stopped
  // (recorded as a timeout) instead of being timed to the end: it cannot win, and
  // pathological schedules (recomputing a big stage in an inner loop) can run for
  // minutes. runner.timeout_seconds stays the upper bound.
  double slowdown_cutoff = 50;
};

// Seconds spent per phase (on the measuring machine for remote measurement).
struct MeasureStats {
  double lower_seconds = 0;
  double build_seconds = 0;
  double run_seconds = 0;
  int verified = 0;
  int retimed = 0;  // round's fastest candidates timed again (confirm_fastest.h)
  int wrong = 0;
};

class Measurer {
 public:
  virtual ~Measurer() = default;
  virtual std::vector<runtime::MeasureResult> measure(const std::vector<schedule::State>& states) = 0;
  virtual const MeasureStats& stats() const = 0;
};

// Makes the measurer of one task; the task outlives it.
using MeasurerFactory =
    std::function<std::unique_ptr<Measurer>(const search::SearchTask& task, const MeasureOptions& options)>;

}  // namespace bcd::tuning
