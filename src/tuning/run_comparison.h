// The artifact's evaluation of two tuning runs of the same model, target and
// budget (DESIGN.md section 7, "The metric"): how much sooner run B reaches run A's
// best estimated latency, and how their first and last latencies compare.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tuning/tuning_tsv.h"

namespace bcd::tuning {

struct RunComparison {
  double a_best_ms = 0;
  double a_seconds_to_best = 0;  // A's elapsed time at its first row with its best latency
  double b_best_ms = 0;
  // B's first elapsed time at which its latency <= A's best; nullopt if never.
  std::optional<double> b_seconds_to_a_best;
  // a_seconds_to_best / b_seconds_to_a_best; nullopt if B never got there.
  std::optional<double> speedup;
  double first_latency_ratio = 0;  // A's first valid latency / B's (> 1: B starts better)
  double last_latency_ratio = 0;   // A's last / B's (> 1: B ends better)
  int a_trials = 0, b_trials = 0;
  double a_elapsed = 0, b_elapsed = 0;
};

// Fails with a one-line message if a run has no row with a valid latency.
RunComparison compare_runs(const std::vector<TsvRow>& a, const std::vector<TsvRow>& b);

// A markdown table of the comparison, naming the runs.
std::string comparison_markdown(const RunComparison& c, const std::string& name_a, const std::string& name_b);

}  // namespace bcd::tuning
