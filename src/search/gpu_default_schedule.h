// The default GPU schedule: what a task runs with on a GPU before (or without)
// tuning, and what `bcd op --target cuda` prints. Every stage that is cheap to
// recompute and not an output is inlined (the always-inline rule of the sketch
// rules); every other stage stays at the root with all its spatial loops fused,
// split exactly by the largest divisor of the fused extent that fits a block, the
// outer part bound to blockIdx.x and the inner to threadIdx.x; reduction loops stay
// serial inside each thread.
#pragma once
#include "ir/compute_dag.h"
#include "schedule/state.h"

namespace bcd::search {

// The steps are in the State's history, so it records and replays like a searched
// schedule.
schedule::State gpu_default_state(const ir::ComputeDAG& dag, int max_threads_per_block = 256);

}  // namespace bcd::search
