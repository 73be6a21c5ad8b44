// Where a network's time goes (`bcd run --profile`): each step's time inside the
// network, against its record's isolated measurement, and the time outside the
// kernels (output copies, the loop itself). The end-to-end time is measured in runs
// of their own, interleaved with the per-step runs, so that reading the clock
// around every step does not inflate it.
#pragma once
#include <functional>
#include <vector>

#include "executor/network.h"

namespace bcd::executor {

struct NetworkProfile {
  std::vector<double> step_seconds;  // per step, median over the runs
  double end_to_end_seconds = 0;     // median over the runs
  double steps_seconds() const;      // sum of step_seconds
};

// `repeat` profiled runs and `repeat` plain ones, after one warm-up run, of
// anything that runs `steps` steps: `run(step_seconds)` runs once, writing each
// step's time into *step_seconds when it is not null.
NetworkProfile profile_runs(int steps, const std::function<void(std::vector<double>*)>& run, int repeat);

// The same for a network. Fails on a network on the GPU (its launches are
// asynchronous).
NetworkProfile profile_network(Network& network, const std::vector<const NDArray*>& inputs, int repeat);

}  // namespace bcd::executor
