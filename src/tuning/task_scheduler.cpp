#include "tuning/task_scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "graph/tasks.h"
#include "tuning/task_records.h"
#include "support/error.h"

namespace bcd::tuning {

namespace {
// Ansor's stand-in latency of a task without a valid measurement: large enough that
// such a task dominates the gradient and gets tuned again, finite so that the
// arithmetic stays meaningful.
constexpr double kUnmeasuredSeconds = 1e10;
}  // namespace

TaskScheduler::TaskScheduler(std::vector<ScheduledTask> tasks, SchedulerOptions options, RecordWriter* records,
                             TsvWriter* tsv, double elapsed_offset)
    : tasks_(std::move(tasks)),
      progress_(tasks_.size()),
      plans_(tasks_.size()),
      options_(std::move(options)),
      records_(records),
      tsv_(tsv),
      elapsed_offset_(elapsed_offset),
      start_(std::chrono::steady_clock::now()),
      rng_(options_.seed) {
  for (const auto& t : tasks_) {
    BCD_CHECK(t.policy && t.measurer, "task {} has no policy or measurer", t.name);
    kinds_.push_back(graph::strip_task_suffix(t.name));
  }
}

int TaskScheduler::resume(const std::vector<Record>& records, int* skipped) {
  int total = 0;
  if (skipped) *skipped = 0;
  for (int t = 0; t < size(); ++t) {
    int n = resume_from_records(*tasks_[t].policy, records, skipped);
    if (n == 0) continue;
    TaskProgress& p = progress_[t];
    p.trials += n;
    p.rounds += 1;  // the history is gone; count the resumed work as one round
    update_best(t);
    p.trials_at_best = p.trials;
    p.best_history.push_back(std::isfinite(p.best_seconds) ? p.best_seconds : kUnmeasuredSeconds);
    total += n;
  }
  return total;
}

void TaskScheduler::update_best(int t) {
  const auto& policy = *tasks_[t].policy;
  if (policy.best_throughput() <= 0) return;
  double seconds = policy.task().dag.flop_count() / policy.best_throughput();
  TaskProgress& p = progress_[t];
  if (seconds < p.best_seconds) {
    p.best_seconds = seconds;
    p.trials_at_best = p.trials;
  }
}

bool TaskScheduler::tune_round(int t, int limit) {
  if (out_of_time()) return false;
  ScheduledTask& task = tasks_.at(t);
  TaskProgress& p = progress_[t];
  const TaskPlan& plan = plans_[t];
  int want = std::min(limit, plan.measures_per_round > 0 ? plan.measures_per_round : options_.num_measures_per_round);
  std::vector<schedule::State> states = task.policy->propose(want);
  if (states.empty()) {
    p.dead = true;  // nothing left to try
    return false;
  }
  std::vector<runtime::MeasureResult> results = task.measurer->measure(states);
  int errors = 0;
  for (const auto& r : results) errors += r.error != runtime::MeasureError::None;
  if (records_) records_->append(round_records(task.policy->task(), task.name, states, results));
  task.policy->observe(states, results);
  p.trials += static_cast<int>(states.size());
  p.rounds += 1;
  update_best(t);
  p.best_history.push_back(std::isfinite(p.best_seconds) ? p.best_seconds : kUnmeasuredSeconds);
  if (options_.early_stopping > 0 && p.trials - p.trials_at_best >= options_.early_stopping) p.dead = true;

  SchedulerRound report;
  report.round = ++rounds_;
  report.task = t;
  report.measured = static_cast<int>(states.size());
  report.errors = errors;
  report.total_trials = total_trials();
  report.elapsed_seconds = elapsed_seconds();
  report.estimated_latency_seconds = estimated_latency();
  if (tsv_) {
    TsvRow row;
    row.elapsed_seconds = report.elapsed_seconds;
    if (report.estimated_latency_seconds) row.latency_ms = *report.estimated_latency_seconds * 1e3;
    row.trials = report.total_trials;
    tsv_->append(row);
  }
  if (on_round_) on_round_(report);
  check_release(t);
  return true;
}

void TaskScheduler::set_plan(int t, TaskPlan plan) {
  tasks_.at(t).policy->set_plan(plan.search);
  plans_.at(t) = std::move(plan);
}

void TaskScheduler::check_release(int t) {
  const ReleaseRule& rule = plans_[t].release;
  std::string why;
  if (rule.after_stalled_rounds > 0 && stalled(progress_[t], rule.after_stalled_rounds)) {
    why = fmt::format("did not improve in {} rounds", rule.after_stalled_rounds);
  } else if (rule.reference >= 0 && rule.below_rate > 0 &&
             tasks_[t].policy->best_throughput() <
                 rule.below_rate * tasks_.at(rule.reference).policy->best_throughput()) {
    why = fmt::format("runs below {:g} of the FLOP rate of task {}", rule.below_rate, tasks_[rule.reference].name);
  }
  if (why.empty()) return;
  set_plan(t, TaskPlan{});
  if (on_release_) on_release_(t, why);
}

bool stalled(const TaskProgress& progress, int rounds) {
  const auto& h = progress.best_history;
  if (rounds <= 0 || static_cast<int>(h.size()) <= rounds) return false;
  return h.back() >= h[h.size() - 1 - rounds];
}

void TaskScheduler::warm_up(const std::vector<int>& order, int limit) {
  for (int t : order)
    if (progress_.at(t).trials == 0 && !progress_[t].dead) tune_round(t, limit);
}

double task_gradient(const TaskProgress& p, double weight, double flops, double similar_best_rate, int similar_tasks,
                     const SchedulerOptions& options) {
  double best = std::isfinite(p.best_seconds) ? p.best_seconds : kUnmeasuredSeconds;
  // d(objective)/d(best latency of the task): the objective is linear in it.
  double chain = weight;
  double backward = 0;
  int n = static_cast<int>(p.best_history.size());
  if (n - 1 - options.backward_window >= 0)
    backward = (p.best_history[n - 1] - p.best_history[n - 1 - options.backward_window]) / options.backward_window;
  double next_by_rounds = best - best / std::max(p.rounds, 1);
  double next_by_similar = options.beta * 1e30;
  if (similar_tasks > 1 && similar_best_rate > 0) next_by_similar = options.beta * flops / similar_best_rate;
  double forward = std::min(next_by_rounds, next_by_similar) - best;
  return chain * (options.alpha * backward + (1 - options.alpha) * forward);
}

double TaskScheduler::gradient(int t) const {
  double best_rate = 0;
  int similar = 0;
  for (int j = 0; j < size(); ++j) {
    if (kinds_[j] != kinds_[t]) continue;
    ++similar;
    if (std::isfinite(progress_[j].best_seconds))
      best_rate = std::max(best_rate, tasks_[j].policy->task().dag.flop_count() / progress_[j].best_seconds);
  }
  return task_gradient(progress_[t], tasks_[t].weight, tasks_[t].policy->task().dag.flop_count(), best_rate, similar,
                       options_);
}

int TaskScheduler::choose_task() {
  std::vector<int> live;
  for (int t = 0; t < size(); ++t)
    if (!progress_[t].dead) live.push_back(t);
  if (live.empty()) return -1;
  std::uniform_real_distribution<double> coin(0, 1);
  std::uniform_int_distribution<size_t> any(0, live.size() - 1);
  if (coin(rng_) < options_.eps_random) return live[any(rng_)];
  int chosen = live[0];
  double lo = gradient(live[0]), hi = lo;
  for (int t : live) {
    double g = gradient(t);
    hi = std::max(hi, g);
    if (g < lo) lo = g, chosen = t;
  }
  if (lo == hi) return live[any(rng_)];  // no information yet: any task
  return chosen;
}

void TaskScheduler::tune(int budget, const std::function<void(int task)>& after_round) {
  while (total_trials() < budget && !out_of_time()) {
    int t = choose_task();
    if (t < 0) break;
    tune_round(t, budget - total_trials());
    if (after_round) after_round(t);
  }
}

std::optional<double> TaskScheduler::estimated_latency() const {
  double total = 0;
  for (int t = 0; t < size(); ++t) {
    if (!std::isfinite(progress_[t].best_seconds)) return std::nullopt;
    total += tasks_[t].weight * progress_[t].best_seconds;
  }
  return total;
}

int TaskScheduler::total_trials() const {
  int total = 0;
  for (const auto& p : progress_) total += p.trials;
  return total;
}

bool TaskScheduler::out_of_time() const {
  return options_.time_limit_seconds > 0 && elapsed_seconds() >= options_.time_limit_seconds;
}

double TaskScheduler::elapsed_seconds() const {
  return elapsed_offset_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

}  // namespace bcd::tuning
