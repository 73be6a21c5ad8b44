#include "tuning/task_records.h"

#include <set>

#include "support/error.h"

namespace bcd::tuning {

std::vector<Record> round_records(const search::SearchTask& task, const std::string& task_name,
                                  const std::vector<schedule::State>& states,
                                  const std::vector<runtime::MeasureResult>& results) {
  std::vector<Record> out;
  double now = now_seconds();
  for (size_t i = 0; i < states.size(); ++i) {
    Record r;
    r.workload_key = task.workload_key();
    r.task = task_name;
    r.target = task.target.str();
    r.steps = states[i].history();
    r.result = results[i];
    r.timestamp = now;
    out.push_back(std::move(r));
  }
  return out;
}

int resume_from_records(search::SearchPolicy& policy, const std::vector<Record>& records, int* skipped) {
  std::vector<schedule::State> states;
  std::vector<runtime::MeasureResult> results;
  const std::string key = policy.task().workload_key();
  TargetFilter same_target(&policy.task().target);
  // A schedule recorded twice (a line duplicated by hand or by a copy) counts once
  // toward the budget and the cost model.
  std::set<std::string> seen;
  for (const auto& r : records) {
    if (r.workload_key != key) continue;
    if (!same_target(r)) {
      if (skipped) ++*skipped;
      continue;
    }
    try {
      schedule::State state = schedule::replay(policy.task().dag, r.steps);
      if (!seen.insert(state.canonical_string()).second) continue;
      states.push_back(std::move(state));
      results.push_back(r.result);
    } catch (const Error& e) {
      fail("record of {} does not replay on this task: {}", key, e.what());
    }
  }
  if (!states.empty()) policy.observe(states, results);
  return static_cast<int>(states.size());
}

}  // namespace bcd::tuning
