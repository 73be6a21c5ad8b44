#include "cli/tune_printer.h"

#include <fmt/format.h>

#include <cstdio>

#include "search/target.h"
#include "support/error.h"
#include "tuning/progress_table.h"

namespace bcd::cli {

namespace {

void print_phase_times(const tuning::ScheduledTask& t, const char* label) {
  const auto& s = t.policy->stats();
  const auto& m = t.measurer->stats();
  fmt::print("      {}: sample {:.1f}s, evolve {:.1f}s, score {:.1f}s ({} states), train {:.1f}s, lower {:.1f}s, "
             "build {:.1f}s, run {:.1f}s; internal errors skipped {}\n",
             label, s.sample_seconds, s.evolve_seconds, s.score_seconds, s.states_scored, s.train_seconds,
             m.lower_seconds, m.build_seconds, m.run_seconds, s.internal_errors);
}

// A line shown at once, even when stdout is a pipe or a file.
void print_line(const std::string& line) {
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

void print_internal_errors(const api::TuneResult& r) {
  if (r.internal_errors == 0) return;
  fmt::print(stderr,
             "bcd: warning: the search skipped {} internal errors (bugs in bcd, not invalid candidates); the first: "
             "{}\n",
             r.internal_errors, first_swallowed_internal_error());
}

}  // namespace

void NetworkPrinter::on_start(const api::TuneStart& s) {
  budget_ = s.budget;
  model_flags_ = s.model_flags;
  fmt::print("model     {}: {} subgraphs, {} tasks ({} tuned), strategy {}, budget {} trials ({} per task), {} per "
             "round\n",
             s.what, s.subgraphs, s.tasks, s.tuned_tasks, s.strategy, s.budget, s.trials_per_task,
             s.measures_per_round);
  fmt::print("run dir   {}\n", s.run_dir);
  fmt::print("target    {}\n", s.target.str());
  if (verbose_) fmt::print("          {}\n", search::describe_target(s.target));
  if (s.resumed > 0 || s.resumed_seconds > 0)
    fmt::print("resumed   {} measured candidates, {:.0f} s of earlier tuning\n", s.resumed, s.resumed_seconds);
  std::fflush(stdout);
}

void NetworkPrinter::on_round(const tuning::TaskScheduler& scheduler, const tuning::SchedulerRound& r) {
  fmt::print("{}\n", tuning::progress_line(scheduler, r, budget_));
  if (r.estimated_latency_seconds && (!table_shown_ || (verbose_ && r.round % 20 == 0))) {
    fmt::print("{}", tuning::progress_table(scheduler));
    table_shown_ = true;
  }
  if (verbose_) print_phase_times(scheduler.task(r.task), "task time so far");
  std::fflush(stdout);
}

void NetworkPrinter::on_message(const std::string& line) { print_line(line); }

void NetworkPrinter::on_warning(const std::string& line) { fmt::print(stderr, "bcd: warning: {}\n", line); }

void NetworkPrinter::on_finish(const tuning::TaskScheduler& scheduler, const api::TuneResult& r) {
  fmt::print("{}", tuning::progress_table(scheduler));
  fmt::print("records   {}\ntsv       {}\n", r.records, r.tsv);
  fmt::print("next      bcd run {} --records {}\n", model_flags_, r.records);
  print_internal_errors(r);
}

void OperatorPrinter::on_start(const api::TuneStart& s) {
  resumed_ = s.resumed;
  fmt::print("operator  {}, budget {} trials, {} per round\n", s.what, s.budget, s.measures_per_round);
  fmt::print("target    {}\n", s.target.str());
  if (verbose_) fmt::print("          {}\n", search::describe_target(s.target));
  fmt::print("records   {}\n", s.records);
  if (s.resumed > 0) fmt::print("resumed   {} measured candidates\n", s.resumed);
  fmt::print("{:>5} {:>7} {:>12} {:>12} {:>9} {:>7}\n", "round", "trials", "best (ms)", "best GFLOP/s", "elapsed",
             "errors");
  std::fflush(stdout);
}

void OperatorPrinter::on_round(const tuning::TaskScheduler& scheduler, const tuning::SchedulerRound& r) {
  const tuning::ScheduledTask& task = scheduler.task(r.task);
  double gflops = task.policy->best_throughput() / 1e9;
  double best_ms = gflops > 0 ? task.policy->task().dag.flop_count() / task.policy->best_throughput() * 1e3 : 0;
  fmt::print("{:>5} {:>7} {:>12.4f} {:>12.2f} {:>8.1f}s {:>7}\n", r.round, r.total_trials, best_ms, gflops,
             r.elapsed_seconds, r.errors);
  if (verbose_) print_phase_times(task, "time so far");
  std::fflush(stdout);
}

void OperatorPrinter::on_message(const std::string& line) { print_line(line); }

void OperatorPrinter::on_warning(const std::string& line) { fmt::print(stderr, "bcd: warning: {}\n", line); }

void OperatorPrinter::on_finish(const tuning::TaskScheduler& scheduler, const api::TuneResult& r) {
  double minutes = r.elapsed_seconds / 60;
  const search::SearchTask& task = scheduler.task(0).policy->task();
  fmt::print("task      {}, key {}, {:.4g} GFLOP\n", task.description(), task.workload_key(), task.dag.flop_count() / 1e9);
  fmt::print("done      {} trials ({} this run) in {:.1f}s, {:.0f} trials/min; best {:.4f} ms = {:.2f} GFLOP/s\n",
             r.trials, r.measured_now, r.elapsed_seconds, minutes > 0 ? r.measured_now / minutes : 0,
             r.best_seconds * 1e3, r.best_gflops);
  fmt::print("records   {}\n", r.records);
  print_internal_errors(r);
}

}  // namespace bcd::cli
