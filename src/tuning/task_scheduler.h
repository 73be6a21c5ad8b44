// The task scheduler (DESIGN.md section 6): tunes many tasks of one network under
// one measurement budget, giving each round to the task whose improvement would
// lower the estimated network latency (sum of weight x best latency) the most.
//
// Ansor's gradient strategy: after a round-robin warm-up (one round per task), the
// gradient of task i is weight_i x (alpha x backward + (1 - alpha) x forward), where
// backward is the change of its best latency over its last `backward_window` rounds
// per round, and forward is an optimistic estimate of its next round: the smaller
// of best - best / rounds and beta x its FLOPs at the best FLOP rate among tasks of
// its operator kind. The steepest (most negative) gradient wins; with probability
// eps_random a random live task does instead. A task whose best has not improved
// for `early_stopping` trials, or whose search space is exhausted, is dead.
//
// Every round's records are appended to the records log and one line to the TSV
// before the next round starts, so a killed run loses at most its current round.
#pragma once
#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "search/search_policy.h"
#include "tuning/records.h"
#include "tuning/task_plan.h"
#include "tuning/task_progress.h"
#include "tuning/task_measurer.h"
#include "tuning/tuning_tsv.h"

namespace bcd::tuning {

struct SchedulerOptions {
  int num_measures_per_round = 64;
  double alpha = 0.2;
  double beta = 2.0;
  int backward_window = 3;
  double eps_random = 0.05;
  int early_stopping = 0;  // trials without improvement before a task dies; 0 = never
  // No round starts once elapsed_seconds() reaches it (a resumed run's earlier
  // tuning counts); 0 = no limit.
  double time_limit_seconds = 0;
  uint64_t seed = 0;
};

// One task as the scheduler tunes it. The policy owns the search task the measurer
// refers to, so both live on the heap and move together.
struct ScheduledTask {
  std::string name;  // "conv2d_add_relu_1"
  int weight = 1;
  std::unique_ptr<search::SearchPolicy> policy;
  std::unique_ptr<Measurer> measurer;
};


// What a finished round reports (for progress output).
struct SchedulerRound {
  int round = 0;  // rounds of all tasks so far, this run
  int task = -1;
  int measured = 0;  // candidates measured this round
  int errors = 0;
  int total_trials = 0;
  double elapsed_seconds = 0;
  std::optional<double> estimated_latency_seconds;
};

// The gradient of task progress `p` (see the top of this file): `flops` is the
// task's, `similar_best_rate` the best FLOP rate among the `similar_tasks` tasks of
// its operator kind (itself included; 0 if none is measured). Never positive; the
// more negative, the more a round of this task is expected to help.
double task_gradient(const TaskProgress& p, double weight, double flops, double similar_best_rate, int similar_tasks,
                     const SchedulerOptions& options);

class TaskScheduler {
 public:
  // `records` and `tsv` may be null (tests). Elapsed time starts now, plus
  // `elapsed_offset` seconds (a resumed run continues its clock).
  TaskScheduler(std::vector<ScheduledTask> tasks, SchedulerOptions options, RecordWriter* records, TsvWriter* tsv,
                double elapsed_offset = 0);

  // Replays measured records of every task (nothing is measured again) and returns
  // how many there were. Records of a task's workload measured on another target
  // are left out; `skipped` (if any) receives their count.
  int resume(const std::vector<Record>& records, int* skipped = nullptr);

  // Tunes task `t` by `plan` from its next round on (see task_plan.h).
  void set_plan(int t, TaskPlan plan);
  const TaskPlan& plan(int t) const { return plans_.at(t); }
  // Called when a task's release rule fires, after it went back to Ansor's plan.
  void set_on_release(std::function<void(int task, const std::string& why)> f) { on_release_ = std::move(f); }

  // Tunes task `t` for one round of at most `limit` candidates; false if its search
  // space is exhausted (it dies) or the time limit is reached (nothing runs).
  bool tune_round(int t, int limit = std::numeric_limits<int>::max());
  // One round of each listed task that has no measurement yet (the warm-up), of at
  // most `limit` measurements: with the per-task budget as the limit, the warm-up
  // never spends more than the budget, however large a round is.
  void warm_up(const std::vector<int>& order, int limit = std::numeric_limits<int>::max());
  // Rounds chosen by gradient until total_trials() reaches `budget` or every task is
  // dead; `after_round` (if any) sees each round's task before the next is chosen.
  void tune(int budget, const std::function<void(int task)>& after_round = nullptr);

  // The task the gradient strategy would tune next (-1 when every task is dead).
  int choose_task();

  // Sum of weight x best latency; nullopt while a task has no valid measurement.
  std::optional<double> estimated_latency() const;
  int total_trials() const;
  double elapsed_seconds() const;
  bool out_of_time() const;  // SchedulerOptions::time_limit_seconds reached
  int size() const { return static_cast<int>(tasks_.size()); }
  const ScheduledTask& task(int t) const { return tasks_.at(t); }
  ScheduledTask& task(int t) { return tasks_.at(t); }
  const TaskProgress& progress(int t) const { return progress_.at(t); }
  const SchedulerOptions& options() const { return options_; }

  void set_on_round(std::function<void(const SchedulerRound&)> f) { on_round_ = std::move(f); }

 private:
  void update_best(int t);
  double gradient(int t) const;
  void check_release(int t);

  std::vector<ScheduledTask> tasks_;
  std::vector<TaskProgress> progress_;
  std::vector<TaskPlan> plans_;
  std::vector<std::string> kinds_;  // operator kind of each task (for the forward estimate)
  SchedulerOptions options_;
  RecordWriter* records_;
  TsvWriter* tsv_;
  double elapsed_offset_;
  std::chrono::steady_clock::time_point start_;
  std::mt19937_64 rng_;
  int rounds_ = 0;
  std::function<void(const SchedulerRound&)> on_round_;
  std::function<void(int, const std::string&)> on_release_;
};

}  // namespace bcd::tuning
