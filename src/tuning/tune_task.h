// Tuning one task: rounds of propose -> measure -> record -> observe until the
// trial budget is spent or the search space is exhausted. Resumes from a records
// log without measuring anything twice.
#pragma once
#include <functional>
#include <string>

#include "search/search_policy.h"
#include "tuning/records.h"
#include "tuning/task_measurer.h"

namespace bcd::tuning {

struct RoundReport {
  int round = 0;
  int trials = 0;             // measured candidates so far, errors included
  int errors_this_round = 0;
  double best_seconds = 0;    // best mean cost so far (0: none yet)
  double best_gflops = 0;
  double elapsed_seconds = 0;
  double round_seconds = 0;
};

struct TuneTaskOptions {
  int num_trials = 1000;
  int num_measures_per_round = 64;
  std::string target = "llvm";
};

// One record per measured State of a round, all stamped now.
std::vector<Record> round_records(const search::SearchTask& task, const std::string& task_name,
                                  const std::string& target, const std::vector<schedule::State>& states,
                                  const std::vector<runtime::MeasureResult>& results);

// Replays the records of this task (into the policy: never proposed again, the
// model trains on them) and returns how many there were.
int resume_from_records(search::SearchPolicy& policy, const std::vector<Record>& records, const std::string& target);

// Runs rounds until `options.num_trials` measurements (counting resumed ones).
// Appends every round's records to `writer` (if not null) before the next round.
RoundReport tune_task(search::SearchPolicy& policy, TaskMeasurer& measurer, RecordWriter* writer,
                      const TuneTaskOptions& options, int already_measured,
                      const std::function<void(const RoundReport&)>& on_round = nullptr);

}  // namespace bcd::tuning
