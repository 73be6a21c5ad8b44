#include "api/remeasure.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>

#include "api/tune_config.h"
#include "graph/tasks.h"
#include "runtime/timer.h"
#include "search/search_task.h"
#include "support/error.h"
#include "tuning/network_tasks.h"
#include "tuning/task_measurer.h"

namespace bcd::api {

namespace {

// The median of `v`; NaN when empty (nothing valid was measured).
double median_or_nan(const std::vector<double>& v) {
  return v.empty() ? std::numeric_limits<double>::quiet_NaN() : runtime::median(v);
}

tuning::CacheState recorded_cache_state(const nlohmann::json& info) {
  if (info.value("flush_cache", false)) return tuning::CacheState::Flushed;
  if (info.value("cold_activations", false)) return tuning::CacheState::ColdActivations;
  return tuning::CacheState::Warm;
}

}  // namespace

Remeasurement remeasure_best(const nlohmann::json& run_info, const std::vector<tuning::Record>& a,
                             const std::vector<tuning::Record>& b, int rounds) {
  if (rounds < 1) fail("re-measuring needs at least one round, not {}", rounds);
  if (!run_info.contains("model") || !run_info.contains("target"))
    fail("re-measuring needs a network run's description (its model and target)");
  const Target target = Target::parse(run_info.at("target").get<std::string>());
  const ModelSpec spec = ModelSpec::from_identity(run_info.at("model"));
  const ModelSpec::Loaded loaded = spec.load_for(target, a);
  const graph::TaskSet task_set = graph::extract_tasks(loaded.graph());
  tuning::MeasureOptions options = tuning::tuning_measure_options(10, recorded_cache_state(run_info));
  // Every time counts here, the faster program's as much as the slower's: keeping
  // the slower of two times for a batch's fastest would favour the slower program.
  options.retime_best = false;

  Remeasurement out;
  out.rounds = rounds;
  for (int i : tuning::tuned_task_indices(task_set, run_info.value("include_simple_tasks", false))) {
    const graph::Task& task = task_set.tasks[i];
    search::SearchTask search_task(*task.dag, target);
    tuning::TaskMeasurer measurer(search_task, options);
    std::optional<schedule::State> programs[2] = {tuning::apply_best(*task.dag, a, &target),
                                                  tuning::apply_best(*task.dag, b, &target)};
    std::vector<double> times[2];
    for (int r = 0; r < rounds; ++r) {
      // Both in one batch, as the tuner measures a round, which goes first
      // alternating, after a run of the first whose time is dropped: the first
      // program of a batch runs on a machine that was idle and measures slower.
      std::vector<int> order;
      for (int which : r % 2 == 0 ? std::array{0, 1} : std::array{1, 0})
        if (programs[which]) order.push_back(which);
      if (order.empty()) break;
      std::vector<schedule::State> batch = {*programs[order.front()]};
      for (int which : order) batch.push_back(*programs[which]);
      std::vector<runtime::MeasureResult> results = measurer.measure(batch);
      for (size_t k = 0; k < order.size(); ++k)
        if (double t = results.at(k + 1).mean_cost(); std::isfinite(t)) times[order[k]].push_back(t);
    }
    out.tasks.push_back({task.name, task.weight, median_or_nan(times[0]), median_or_nan(times[1])});
    out.a_seconds += task.weight * out.tasks.back().a_seconds;
    out.b_seconds += task.weight * out.tasks.back().b_seconds;
  }
  return out;
}

std::string remeasurement_markdown(const Remeasurement& r) {
  std::string out = "\n## Re-measured side by side\n\n";
  out += fmt::format(
      "Each task's best program of A and of B measured alternately in one process, {} rounds, medians: "
      "A {:.3f} ms, B {:.3f} ms, **B / A {:.4f}**.\n\n",
      r.rounds, r.a_seconds * 1e3, r.b_seconds * 1e3, r.b_seconds / r.a_seconds);
  out += "| task | weight | A (ms) | B (ms) | B / A |\n|---|---|---|---|---|\n";
  for (const auto& t : r.tasks)
    out += fmt::format("| {} | {} | {:.4f} | {:.4f} | {:.3f} |\n", t.name, t.weight, t.a_seconds * 1e3,
                       t.b_seconds * 1e3, t.b_seconds / t.a_seconds);
  return out;
}

}  // namespace bcd::api
