#include "tuning/tune_task.h"

#include <chrono>

#include "support/error.h"

namespace bcd::tuning {

std::vector<Record> round_records(const search::SearchTask& task, const std::string& task_name,
                                  const std::string& target, const std::vector<schedule::State>& states,
                                  const std::vector<runtime::MeasureResult>& results) {
  std::vector<Record> out;
  double now = now_seconds();
  for (size_t i = 0; i < states.size(); ++i) {
    Record r;
    r.workload_key = task.workload_key();
    r.task = task_name;
    r.target = target;
    r.steps = states[i].history();
    r.result = results[i];
    r.timestamp = now;
    out.push_back(std::move(r));
  }
  return out;
}

int resume_from_records(search::SearchPolicy& policy, const std::vector<Record>& records, const std::string& target) {
  std::vector<schedule::State> states;
  std::vector<runtime::MeasureResult> results;
  const std::string key = policy.task().workload_key();
  for (const auto& r : records) {
    if (r.workload_key != key || r.target != target) continue;
    try {
      states.push_back(schedule::replay(policy.task().dag, r.steps));
      results.push_back(r.result);
    } catch (const Error& e) {
      fail("record of {} does not replay on this task: {}", key, e.what());
    }
  }
  if (!states.empty()) policy.observe(states, results);
  return static_cast<int>(states.size());
}

RoundReport tune_task(search::SearchPolicy& policy, TaskMeasurer& measurer, RecordWriter* writer,
                      const TuneTaskOptions& options, int already_measured,
                      const std::function<void(const RoundReport&)>& on_round) {
  auto start = std::chrono::steady_clock::now();
  RoundReport report;
  report.trials = already_measured;
  double flops = policy.task().dag.flop_count();
  auto update_best = [&] {
    if (policy.best_throughput() > 0) {
      report.best_gflops = policy.best_throughput() / 1e9;
      report.best_seconds = flops / policy.best_throughput();
    }
  };
  update_best();
  while (report.trials < options.num_trials) {
    auto round_start = std::chrono::steady_clock::now();
    int want = std::min(options.num_measures_per_round, options.num_trials - report.trials);
    std::vector<schedule::State> states = policy.propose(want);
    if (states.empty()) break;  // the search space is exhausted
    std::vector<runtime::MeasureResult> results = measurer.measure(states);
    if (writer) writer->append(round_records(policy.task(), policy.task().description(), options.target, states, results));
    policy.observe(states, results);
    ++report.round;
    report.trials += static_cast<int>(states.size());
    report.errors_this_round = 0;
    for (const auto& r : results) report.errors_this_round += r.error != runtime::MeasureError::None;
    update_best();
    auto now = std::chrono::steady_clock::now();
    report.round_seconds = std::chrono::duration<double>(now - round_start).count();
    report.elapsed_seconds = std::chrono::duration<double>(now - start).count();
    if (on_round) on_round(report);
  }
  return report;
}

}  // namespace bcd::tuning
