#include "tuning/measurement_drift.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include "runtime/timer.h"
#include "schedule/transform_step.h"

namespace bcd::tuning {

namespace {

std::string program_key(const Record& r) {
  return r.workload_key + '\n' + r.target + '\n' + schedule::history_to_json(r.steps).dump();
}

// Each program's first valid time in the log.
std::unordered_map<std::string, double> first_times(const std::vector<Record>& records) {
  std::unordered_map<std::string, double> out;
  for (const Record& r : records)
    if (r.ok()) out.emplace(program_key(r), r.cost());
  return out;
}

// The q-quantile of sorted `v` (nearest rank).
double quantile(const std::vector<double>& v, double q) {
  size_t i = static_cast<size_t>(std::lround(q * static_cast<double>(v.size() - 1)));
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

std::optional<MeasurementDrift> measurement_drift(const std::vector<Record>& a, const std::vector<Record>& b,
                                                  int min_programs) {
  std::unordered_map<std::string, double> in_a = first_times(a);
  std::vector<double> ratios;
  for (const auto& [key, seconds] : first_times(b)) {
    auto it = in_a.find(key);
    if (it != in_a.end() && it->second > 0) ratios.push_back(seconds / it->second);
  }
  if (ratios.empty() || static_cast<int>(ratios.size()) < min_programs) return std::nullopt;
  std::sort(ratios.begin(), ratios.end());
  MeasurementDrift d;
  d.programs = static_cast<int>(ratios.size());
  d.median = runtime::median(ratios);
  d.p10 = quantile(ratios, 0.1);
  d.p90 = quantile(ratios, 0.9);
  return d;
}

std::vector<TsvRow> rescaled(const std::vector<TsvRow>& rows, double factor) {
  std::vector<TsvRow> out = rows;
  for (auto& r : out)
    if (r.latency_ms) *r.latency_ms /= factor;
  return out;
}

std::string drift_markdown(const MeasurementDrift& drift, const RunComparison& adjusted) {
  std::string out = "\n## Measurement drift\n\n";
  out += fmt::format(
      "Both runs measured {} identical programs; B timed them at a median {:.3f} of A's time (10th-90th "
      "percentile {:.3f}-{:.3f}). With B's estimates divided by {:.3f} (as A's machine would have timed them):\n\n",
      drift.programs, drift.median, drift.p10, drift.p90, drift.median);
  out += fmt::format("- best estimated latency: {:.3f} ms, {:.4f} of A's\n", adjusted.b_best_ms,
                     adjusted.b_best_ms / adjusted.a_best_ms);
  out += fmt::format("- compilation-time speedup: {}\n",
                     adjusted.speedup ? fmt::format("{:.2f}x", *adjusted.speedup) : "B never reached A's best");
  return out;
}

}  // namespace bcd::tuning
