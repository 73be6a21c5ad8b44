// Runs a whole graph with the naive reference implementations of src/ops: the
// ground truth that compiled networks are verified against. Slow (plain loops in
// double), so meant for small inputs or one-off verification.
#pragma once
#include <vector>

#include "graph/graph.h"
#include "support/ndarray.h"

namespace bcd::graph {

// `inputs` in the order of graph.inputs(), shapes checked; returns the outputs in
// the order of graph.outputs(). Intermediates are freed after their last use.
std::vector<NDArray> run_reference(const Graph& graph, const std::vector<const NDArray*>& inputs);

// Deterministic random inputs in [-1, 1) for every graph input.
std::vector<NDArray> random_inputs(const Graph& graph, uint64_t seed);

}  // namespace bcd::graph
