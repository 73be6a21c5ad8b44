#include "tuning/run_comparison.h"

#include <fmt/format.h>

#include "support/error.h"

namespace bcd::tuning {

namespace {

const TsvRow& first_valid(const std::vector<TsvRow>& rows, const char* which) {
  for (const auto& r : rows)
    if (r.latency_ms) return r;
  fail("run {} has no round with a complete estimated latency", which);
}

const TsvRow& last_valid(const std::vector<TsvRow>& rows) {
  for (auto it = rows.rbegin(); it != rows.rend(); ++it)
    if (it->latency_ms) return *it;
  return rows.back();  // unreachable after first_valid
}

// The best latency and the first row that reached it.
const TsvRow& best_row(const std::vector<TsvRow>& rows) {
  const TsvRow* best = nullptr;
  for (const auto& r : rows)
    if (r.latency_ms && (!best || *r.latency_ms < *best->latency_ms)) best = &r;
  return *best;
}

}  // namespace

RunComparison compare_runs(const std::vector<TsvRow>& a, const std::vector<TsvRow>& b) {
  const TsvRow& a_first = first_valid(a, "A");
  const TsvRow& b_first = first_valid(b, "B");
  RunComparison c;
  const TsvRow& a_best = best_row(a);
  c.a_best_ms = *a_best.latency_ms;
  c.a_seconds_to_best = a_best.elapsed_seconds;
  c.b_best_ms = *best_row(b).latency_ms;
  for (const auto& r : b) {
    if (r.latency_ms && *r.latency_ms <= c.a_best_ms) {
      c.b_seconds_to_a_best = r.elapsed_seconds;
      break;
    }
  }
  // The TSV rounds elapsed times to whole seconds: a run that got there within its
  // first second counts as one second rather than dividing by zero.
  if (c.b_seconds_to_a_best) c.speedup = std::max(c.a_seconds_to_best, 1.0) / std::max(*c.b_seconds_to_a_best, 1.0);
  c.first_latency_ratio = *a_first.latency_ms / *b_first.latency_ms;
  c.last_latency_ratio = *last_valid(a).latency_ms / *last_valid(b).latency_ms;
  c.a_trials = a.back().trials;
  c.b_trials = b.back().trials;
  c.a_elapsed = a.back().elapsed_seconds;
  c.b_elapsed = b.back().elapsed_seconds;
  return c;
}

std::string comparison_markdown(const RunComparison& c, const std::string& name_a, const std::string& name_b) {
  std::string out;
  out += fmt::format("| | A: {} | B: {} |\n|---|---|---|\n", name_a, name_b);
  out += fmt::format("| trials | {} | {} |\n", c.a_trials, c.b_trials);
  out += fmt::format("| tuning time (s) | {:.0f} | {:.0f} |\n", c.a_elapsed, c.b_elapsed);
  out += fmt::format("| best estimated latency (ms) | {:.3f} | {:.3f} |\n", c.a_best_ms, c.b_best_ms);
  out += fmt::format("| time to A's best (s) | {:.0f} | {} |\n", c.a_seconds_to_best,
                     c.b_seconds_to_a_best ? fmt::format("{:.0f}", *c.b_seconds_to_a_best) : "never");
  out += fmt::format("\n- compilation-time speedup (A's time to its best / B's time to A's best): {}\n",
                     c.speedup ? fmt::format("**{:.2f}x**", *c.speedup) : "B never reached A's best");
  out += fmt::format("- first-round latency ratio (A / B): {:.3f}\n", c.first_latency_ratio);
  out += fmt::format("- last-round latency ratio (A / B): {:.3f}\n", c.last_latency_ratio);
  return out;
}

}  // namespace bcd::tuning
