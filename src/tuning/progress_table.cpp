#include "tuning/progress_table.h"

#include <fmt/format.h>

#include <cmath>

namespace bcd::tuning {

namespace {
std::string latency_text(double seconds) {
  return std::isfinite(seconds) ? fmt::format("{:.4f}", seconds * 1e3) : "-";
}
std::string gflops_text(const TaskScheduler& s, int t) {
  double seconds = s.progress(t).best_seconds;
  if (!std::isfinite(seconds)) return "-";
  return fmt::format("{:.2f}", s.task(t).policy->task().dag.flop_count() / seconds / 1e9);
}
std::string estimate_text(const std::optional<double>& seconds) {
  return seconds ? fmt::format("{:.3f} ms", *seconds * 1e3) : "N/A";
}
}  // namespace

std::string progress_table(const TaskScheduler& s) {
  std::string out = fmt::format("| {:>3} | {:<30} | {:>6} | {:>12} | {:>9} | {:>6} |\n", "ID", "Task", "Weight",
                                "Latency (ms)", "GFLOP/s", "Trials");
  out += fmt::format("|{:-<5}|{:-<32}|{:-<8}|{:-<14}|{:-<11}|{:-<8}|\n", "", "", "", "", "", "");
  for (int t = 0; t < s.size(); ++t) {
    const TaskProgress& p = s.progress(t);
    out += fmt::format("| {:>3} | {:<30} | {:>6} | {:>12} | {:>9} | {:>6} |{}\n", t, s.task(t).name,
                       s.task(t).weight, latency_text(p.best_seconds), gflops_text(s, t), p.trials,
                       p.dead ? " dead" : "");
  }
  out += fmt::format("Estimated total latency: {}\tTrials: {}\tElapsed: {:.0f} s\n", estimate_text(s.estimated_latency()),
                     s.total_trials(), s.elapsed_seconds());
  return out;
}

std::string progress_line(const TaskScheduler& s, const SchedulerRound& r, int budget) {
  const TaskProgress& p = s.progress(r.task);
  return fmt::format("round {:>4}  task {:>3} {:<28} best {:>10} ms {:>9} GFLOP/s{}  | est. {:>12} | trials {:>6}/{} | {:>6.0f} s",
                     r.round, r.task, s.task(r.task).name, latency_text(p.best_seconds), gflops_text(s, r.task),
                     r.errors ? fmt::format(" ({} errors)", r.errors) : "", estimate_text(r.estimated_latency_seconds),
                     r.total_trials, budget, r.elapsed_seconds);
}

}  // namespace bcd::tuning
