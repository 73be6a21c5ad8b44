// A task's records: the records of a measured round, and the replay of a log into
// a task's search policy on resume (nothing is measured twice).
#pragma once
#include <string>

#include "search/search_policy.h"
#include "tuning/records.h"
#include "tuning/task_measurer.h"

namespace bcd::tuning {

// One record per measured State of a round, all stamped now, with the task's target.
std::vector<Record> round_records(const search::SearchTask& task, const std::string& task_name,
                                  const std::vector<schedule::State>& states,
                                  const std::vector<runtime::MeasureResult>& results);

// Replays the records of this task (into the policy: never proposed again, the
// model trains on them) and returns how many distinct schedules there were (a
// schedule recorded twice counts once). Records of its workload
// measured on another target (same_measurements) are left out and added to
// `skipped` (if any).
int resume_from_records(search::SearchPolicy& policy, const std::vector<Record>& records, int* skipped = nullptr);

}  // namespace bcd::tuning
