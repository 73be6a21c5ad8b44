#include "tuning/task_comparison.h"

#include <fmt/format.h>

#include <map>

namespace bcd::tuning {

namespace {

std::string milliseconds(const std::optional<double>& ms) { return ms ? fmt::format("{:.4f}", *ms) : "-"; }

}  // namespace

std::vector<TaskComparison> compare_tasks(const std::vector<Record>& a, const std::vector<Record>& b) {
  std::vector<TaskComparison> rows;
  std::map<std::string, size_t> row_of;
  auto row = [&](const Record& r) -> TaskComparison& {
    auto [it, added] = row_of.try_emplace(r.workload_key, rows.size());
    if (added) rows.push_back({r.workload_key, r.task, {}, {}, 0, 0, {}});
    return rows[it->second];
  };
  auto keep_best = [](std::optional<double>& best, const Record& r) {
    if (r.ok() && (!best || r.cost() * 1e3 < *best)) best = r.cost() * 1e3;
  };
  for (const Record& r : a) {
    TaskComparison& t = row(r);
    ++t.a_trials;
    keep_best(t.a_best_ms, r);
  }
  for (const Record& r : b) {
    TaskComparison& t = row(r);
    ++t.b_trials;
    keep_best(t.b_best_ms, r);
    if (!t.b_trials_to_a_best && t.a_best_ms && r.ok() && r.cost() * 1e3 <= *t.a_best_ms)
      t.b_trials_to_a_best = t.b_trials;
  }
  return rows;
}

std::string task_comparison_markdown(const std::vector<TaskComparison>& rows, const std::string& name_a,
                                     const std::string& name_b) {
  std::string out = fmt::format(
      "| task | A: {} best (ms) | B: {} best (ms) | B / A | A trials | B trials | B trials to A's best |\n"
      "|---|---|---|---|---|---|---|\n",
      name_a, name_b);
  for (const TaskComparison& t : rows) {
    std::string ratio = t.a_best_ms && t.b_best_ms ? fmt::format("{:.3f}", *t.b_best_ms / *t.a_best_ms) : "-";
    std::string reached = t.b_trials_to_a_best ? std::to_string(*t.b_trials_to_a_best) : "never";
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", t.task, milliseconds(t.a_best_ms),
                       milliseconds(t.b_best_ms), ratio, t.a_trials, t.b_trials, reached);
  }
  return out;
}

}  // namespace bcd::tuning
