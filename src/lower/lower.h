// Lowering of a compute DAG, scheduled or not, to a loop program.
#pragma once
#include <string>

#include "ir/compute_dag.h"
#include "lower/loop_ir.h"
#include "schedule/state.h"

namespace bcd::lower {

// A scheduled program: every stage's loops from its split/fuse relations in its
// iterator order, with annotations; inlined stages substituted into their readers;
// stages computed at another stage's loop get a buffer there covering the region
// that loop's iteration reads (bound inference), clamped to the tensor's shape;
// reductions initialised right before their outermost reduction loop; a
// shared-scope stage's region relaxed over the thread- and vthread-bound loops
// around it (one buffer per block, independent of the thread) and its
// computation wrapped in barriers (Sync; fetch; Sync); and
// auto_unroll_max_step applied to the loops whose total step count is small enough.
// Fails (bcd::Error) on a State that cannot be lowered (unknown split lengths, a
// stage computed at a stage that does not read it).
LoweredFunc lower_state(const schedule::State& state, const std::string& name);

// The unscheduled program: lower_state of the initial State, where every compute
// op is at the root in topological order with one serial loop per axis.
LoweredFunc lower_default(const ir::ComputeDAG& dag, const std::string& name);

}  // namespace bcd::lower
