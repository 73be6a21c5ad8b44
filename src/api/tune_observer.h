// What a tuning run tells whoever runs it, as it goes: the command line prints it
// (src/cli/tune_printer.h), tests record it, an embedding program does as it likes.
// Every method has an empty default; all are called on the tuning thread.
#pragma once
#include <optional>
#include <string>

#include "target/target.h"
#include "tuning/task_scheduler.h"

namespace bcd::api {

// What a run is about to do, once its tasks and log are set up.
struct TuneStart {
  std::string what;       // the model, or the operator and its parameters
  std::string model_flags;  // networks: the flags that build the same model (ModelSpec::flags)
  std::string strategy;   // ansor or diffusion
  Target target;
  int subgraphs = 0;      // of the network (1 for an operator)
  int tasks = 0;          // distinct subgraphs
  int tuned_tasks = 0;    // the scheduler's tasks
  int budget = 0;         // trials in all, resumed ones included
  int trials_per_task = 0;
  int measures_per_round = 0;
  std::string run_dir;    // "" with a records file alone (deprecated tune-op --log)
  std::string records;
  std::string tsv;        // "" when none is written
  int resumed = 0;        // measured candidates taken from the records
  int skipped_other_target = 0;  // records of these workloads measured on another target, left out
  double resumed_seconds = 0;    // tuning time of the run before this resume
};

// How a run ended.
struct TuneResult {
  std::string run_dir, records, tsv;
  int trials = 0;           // measured candidates, resumed ones included
  int measured_now = 0;     // in this call
  double elapsed_seconds = 0;  // this call's tuning time
  // Sum over tasks of weight x best latency; nullopt while a task has no valid measurement.
  std::optional<double> estimated_latency_seconds;
  int tasks = 0;                    // tuned tasks
  int tasks_without_valid = 0;      // of them, those whose every candidate failed (or none was measured)
  // One operator: its best latency and rate (0 when nothing ran).
  double best_seconds = 0;
  double best_gflops = 0;
  int64_t internal_errors = 0;  // bugs the search skipped (SearchStats::internal_errors)
};

class TuneObserver {
 public:
  virtual ~TuneObserver() = default;
  virtual void on_start(const TuneStart&) {}
  // After every measured round; the scheduler shows every task's progress.
  virtual void on_round(const tuning::TaskScheduler&, const tuning::SchedulerRound&) {}
  // A line about the strategy's phases (diffusion's prior phase, a release).
  virtual void on_message(const std::string&) {}
  // Something the user should know that does not stop the run.
  virtual void on_warning(const std::string&) {}
  virtual void on_finish(const tuning::TaskScheduler&, const TuneResult&) {}
};

}  // namespace bcd::api
