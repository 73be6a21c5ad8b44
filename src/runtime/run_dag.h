// Convenience: compile a DAG's default (unscheduled) program and run it once.
#pragma once
#include <vector>

#include "ir/compute_dag.h"
#include "support/ndarray.h"

namespace bcd::runtime {

// Returns the outputs, in dag.outputs() order, for the given inputs (dag.inputs()
// order, shapes checked).
std::vector<NDArray> run_dag_default(const ir::ComputeDAG& dag,
                                     const std::vector<const NDArray*>& inputs);

}  // namespace bcd::runtime
