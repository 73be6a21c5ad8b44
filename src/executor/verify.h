// Checking and timing a compiled network: its outputs against the reference
// executor's on the same graph (graph::run_reference, naive loops in double), and
// its end-to-end latency.
#pragma once
#include <cstdint>
#include <vector>

#include "executor/network.h"
#include "graph/graph.h"

namespace bcd::executor {

// Our kernels compute in float32 and the reference in double; the difference grows
// with the depth of the network and the length of its reductions. The error is
// measured relative to the output's own scale (compare_arrays: |a-b| over
// max(|b|, 1e-3 max|b|)), so near-zero outputs do not dominate. The zoo's small
// variants with default schedules reach up to 4e-4 (mobilenetv2); a wrong index or
// a missed reduction step gives errors of order 1. 1e-2 leaves room for longer
// reductions (full-size models) and the other summation orders of tuned schedules.
inline constexpr double kDefaultNetworkTolerance = 1e-2;

struct Verification {
  std::vector<ArrayDiff> outputs;  // one per graph output
  ArrayDiff worst;                 // the largest of each over all outputs
  double tolerance = 0;
  bool ok = false;                 // worst.max_rel <= tolerance (and no NaN mismatch)
};

// Runs `network` and graph::run_reference on graph::random_inputs(graph, seed).
Verification verify_network(Network& network, const graph::Graph& graph, uint64_t seed,
                            double tolerance = kDefaultNetworkTolerance);
// The same on given inputs (graph input order).
Verification verify_network(Network& network, const graph::Graph& graph, const std::vector<const NDArray*>& inputs,
                            double tolerance = kDefaultNetworkTolerance);

// `actual` (outputs in graph order, from a network or a package) against
// graph::run_reference on the same inputs.
Verification compare_with_reference(const std::vector<NDArray>& actual, const graph::Graph& graph,
                                     const std::vector<const NDArray*>& inputs,
                                     double tolerance = kDefaultNetworkTolerance);

// Seconds per end-to-end run (inputs to outputs), one per repeat, after one
// warm-up run (runtime::time_function).
std::vector<double> time_network(Network& network, const std::vector<const NDArray*>& inputs, int repeat);

}  // namespace bcd::executor
