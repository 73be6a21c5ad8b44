#include "tuning/network_tasks.h"

#include "support/error.h"

namespace bcd::tuning {

std::vector<int> tuned_task_indices(const graph::TaskSet& task_set, bool include_simple_tasks) {
  std::vector<int> out;
  for (size_t i = 0; i < task_set.tasks.size(); ++i)
    if (include_simple_tasks || !task_set.tasks[i].simple) out.push_back(static_cast<int>(i));
  return out;
}

std::vector<ScheduledTask> make_scheduled_tasks(const graph::TaskSet& task_set,
                                                std::shared_ptr<costmodel::CostModel> model,
                                                const NetworkTuningOptions& options) {
  std::vector<ScheduledTask> out;
  int position = 0;
  for (int i : tuned_task_indices(task_set, options.include_simple_tasks)) {
    const graph::Task& t = task_set.tasks[i];
    ScheduledTask st;
    st.name = t.name;
    st.weight = t.weight;
    // Distinct, reproducible streams per task (splitmix-style odd multiplier).
    uint64_t seed = options.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(position++) + 1;
    st.policy = std::make_unique<search::SearchPolicy>(search::SearchTask(*t.dag, options.target), model,
                                                       options.search, seed);
    st.measurer = options.measurer_factory ? options.measurer_factory(st.policy->task(), options.measure)
                                           : std::make_unique<TaskMeasurer>(st.policy->task(), options.measure);
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace bcd::tuning
