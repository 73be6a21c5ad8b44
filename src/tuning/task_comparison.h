// Where two tuning runs of the same network differ, task by task: each workload's
// best measured latency in run A and in run B, and how many of B's measurements of
// it came before B first matched A's best. The network-level metric
// (run_comparison.h) says whether B got there sooner; this says which tasks held it
// back.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tuning/records.h"

namespace bcd::tuning {

struct TaskComparison {
  std::string workload_key;
  std::string task;
  std::optional<double> a_best_ms, b_best_ms;  // nullopt: no successful record in that run
  int a_trials = 0, b_trials = 0;              // records of the workload, error records included
  // B's records of the workload up to and including its first one at or below A's
  // best; nullopt if none (or A has no best).
  std::optional<int> b_trials_to_a_best;
};

// One entry per workload of either log: A's workloads in the order A first measured
// them, then those only B measured.
std::vector<TaskComparison> compare_tasks(const std::vector<Record>& a, const std::vector<Record>& b);

// A markdown table of the comparison, one row per workload.
std::string task_comparison_markdown(const std::vector<TaskComparison>& rows, const std::string& name_a,
                                     const std::string& name_b);

}  // namespace bcd::tuning
