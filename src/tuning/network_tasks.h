// The tasks of a network as the task scheduler tunes them: one search policy and
// one measurer per task, every policy scoring with the same cost model (Ansor and
// the diffusion work both train one model on all tasks of a network).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "costmodel/cost_model.h"
#include "graph/tasks.h"
#include "search/search_options.h"
#include "tuning/task_measurer.h"
#include "tuning/task_scheduler.h"

namespace bcd::tuning {

struct NetworkTuningOptions {
  Target target = Target::cpu();
  search::SearchOptions search;
  MeasureOptions measure = tuning_measure_options();
  // Tasks without a reduction (pure data movement or elementwise math) are left out
  // of tuning, as in TVM, unless asked for; they run with default schedules.
  bool include_simple_tasks = false;
  uint64_t seed = 0;
  // Empty: each task is measured on this machine (TaskMeasurer).
  MeasurerFactory measurer_factory;
};

// Indices into task_set.tasks of the tasks that are tuned, in order.
std::vector<int> tuned_task_indices(const graph::TaskSet& task_set, bool include_simple_tasks);

// A ScheduledTask for each tuned task (in tuned_task_indices order). Each policy
// gets its own seed derived from options.seed and the task's position.
std::vector<ScheduledTask> make_scheduled_tasks(const graph::TaskSet& task_set,
                                                std::shared_ptr<costmodel::CostModel> model,
                                                const NetworkTuningOptions& options);

}  // namespace bcd::tuning
