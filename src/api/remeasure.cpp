#include "api/remeasure.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "api/tune_config.h"
#include "graph/tasks.h"
#include "search/search_task.h"
#include "support/error.h"
#include "tuning/network_tasks.h"
#include "tuning/task_measurer.h"

namespace bcd::api {

namespace {

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

double median(std::vector<double> v) {
  if (v.empty()) return kNone;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
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
  const tuning::MeasureOptions options = tuning::tuning_measure_options(10, recorded_cache_state(run_info));

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
      std::vector<schedule::State> batch;
      for (int k = 0; k < 2; ++k) {
        const int which = r % 2 == 0 ? k : 1 - k;
        if (!programs[which]) continue;
        order.push_back(which);
        batch.push_back(*programs[which]);
      }
      if (batch.empty()) break;
      batch.insert(batch.begin(), batch.front());
      std::vector<runtime::MeasureResult> results = measurer.measure(batch);
      for (size_t k = 0; k < order.size(); ++k) {
        const runtime::MeasureResult& m = results.at(k + 1);
        if (m.error == runtime::MeasureError::None && !m.costs.empty())
          times[order[k]].push_back(std::accumulate(m.costs.begin(), m.costs.end(), 0.0) / m.costs.size());
      }
    }
    out.tasks.push_back({task.name, task.weight, median(times[0]), median(times[1])});
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
