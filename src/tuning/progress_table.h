// The live progress table of a network tuning run, in the spirit of Ansor's: one
// row per task (latency, GFLOP/s, trials, whether it is dead), then the estimated
// network latency, the trials and the elapsed time.
#pragma once
#include <string>

#include "tuning/task_scheduler.h"

namespace bcd::tuning {

std::string progress_table(const TaskScheduler& scheduler);

// One line about a finished round: which task, its best, the estimate, the budget.
std::string progress_line(const TaskScheduler& scheduler, const SchedulerRound& round, int budget);

}  // namespace bcd::tuning
