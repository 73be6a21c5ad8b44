// The default CPU schedule: what a task runs with on a CPU before (or without)
// tuning, in `bcd run` and in packages, when cpu_tiled_default_state (a tiling for
// tasks with a reduction) has none; never the unscheduled program, which stays
// the reference that tuning verifies against. Every stage that is cheap to
// recompute, has no branch and is not an output is inlined (the CPU always-inline
// rule of the sketch rules: a padding stage stays, its conditional loads would
// block the consumer's vectorization); every other stage stays at the root with its outer spatial loops fused
// until the fused loop has at least kIterationsPerCore iterations per core (or all
// but the innermost spatial loop are fused), and that loop runs in parallel. The
// inner loops are left to the compiler's vectorizer.
#pragma once
#include "ir/compute_dag.h"
#include "schedule/state.h"

namespace bcd::search {

inline constexpr int64_t kIterationsPerCore = 4;

// The steps are in the State's history, so it records and replays like a searched
// schedule.
schedule::State cpu_default_state(const ir::ComputeDAG& dag, int num_cores);

}  // namespace bcd::search
