// Two tuning runs' best programs timed side by side. A run's estimate is the sum of
// its tasks' best measured times, each measured when that run measured it; two runs
// made at different times on a shared machine carry its drift between them (5-20%
// on the VM of docs/results/diffusion/evaluation_200/, as much as the difference
// between the strategies they compare). Here each task's best program of run A
// and of run B are measured alternately in one process, with the tuner's
// measurement, so both estimates come from the same machine at the same time.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuning/records.h"

namespace bcd::api {

struct RemeasuredTask {
  std::string name;
  int weight = 1;
  double a_seconds = 0, b_seconds = 0;  // median over the rounds; NaN: no valid record or measurement
};

struct Remeasurement {
  std::vector<RemeasuredTask> tasks;  // the tuned tasks, in the network's order
  double a_seconds = 0, b_seconds = 0;  // sum of weight x time; NaN when a task has none
  int rounds = 0;
};

// The tuned tasks of the network `run_info` (a run.json: its model, target and
// include_simple_tasks) with the best records of `a` and `b` measured alternately
// `rounds` times (A first in odd rounds, B first in even ones), with the cache
// state the run was tuned with.
Remeasurement remeasure_best(const nlohmann::json& run_info, const std::vector<tuning::Record>& a,
                             const std::vector<tuning::Record>& b, int rounds);

// A markdown section: both estimates, their ratio, and every task's times.
std::string remeasurement_markdown(const Remeasurement& r);

}  // namespace bcd::api
