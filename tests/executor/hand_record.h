// A hand-made, non-default schedule for any task and the record that stores it:
// what the executor tests and the `bcd run` tests feed to a network to check that a
// recorded schedule is used. The schedule splits an outer spatial loop of the
// task's output stage in two and runs the outer half in parallel, so its generated
// C has an OpenMP loop that the default program never has.
#pragma once
#include "graph/tasks.h"
#include "schedule/transform_step.h"
#include "support/error.h"
#include "tuning/records.h"

namespace bcd::testutil {

inline schedule::State parallel_outer_state(const ir::ComputeDAG& dag) {
  schedule::State state(dag);
  int out = -1;
  for (int s = 0; s < state.num_stages(); ++s)
    if (state.stage(s).output_index == 0) out = s;
  BCD_CHECK(out >= 0, "the DAG has no output stage");
  const auto& iters = state.stage(out).iters;
  for (size_t i = 0; i < iters.size(); ++i) {
    if (iters[i].extent < 4 || iters[i].extent % 2 != 0) continue;
    state.apply(schedule::split_step(out, static_cast<int>(i), iters[i].extent, {2}));
    state.apply(schedule::annotation_step(out, static_cast<int>(i), schedule::IterAnnotation::Parallel));
    return state;
  }
  fail("no even outer loop to split in {}", dag.description());
}

inline tuning::Record record_of(const graph::Task& task, const schedule::State& state, double seconds) {
  tuning::Record r;
  r.workload_key = task.workload_key;
  r.task = task.name;
  r.target = "llvm";
  r.steps = state.history();
  r.result.costs = {seconds};
  r.timestamp = tuning::now_seconds();
  return r;
}

// The first task with a reduction (the first conv of a CNN): the kind of task
// tuning cares about.
inline const graph::Task& first_tunable_task(const graph::TaskSet& set) {
  for (const graph::Task& t : set.tasks)
    if (!t.simple) return t;
  fail("the network has no task with a reduction");
}

}  // namespace bcd::testutil
