// Operator fusion: the graph is cut into subgraphs, each computed by one kernel.
//
// Rules (TVM's, simplified to what our models need):
// - an anchor (conv2d, dense, batch_matmul, pooling, softmax, layer_norm) starts a
//   subgraph and absorbs the elementwise ops that follow it (bias_add, a residual
//   add, relu, batch_norm, gelu, ...) while the subgraph's current output has a
//   single consumer;
// - a "diamond" of elementwise ops that all read the current output and close on one
//   node (swish: x * sigmoid(x)) is absorbed as a whole;
// - any other op starts a subgraph of its own; a subgraph that starts with an
//   injective or elementwise op also absorbs following injective ops (reshape,
//   transpose, concat, ...), so chains of data movement become one kernel;
// - an absorbed op's other inputs must not depend on the subgraph (no cycles);
//   they, the weights and the graph inputs become the subgraph's placeholders.
// Every subgraph has exactly one output.
#pragma once
#include <vector>

#include "graph/graph.h"
#include "ir/compute_dag.h"

namespace bcd::graph {

struct Subgraph {
  std::vector<int> nodes;   // member node ids in topological order
  int output = -1;          // the member whose value leaves the subgraph
  std::vector<int> inputs;  // external node ids read, in order of first use
};

// Subgraphs in a topological order of the subgraphs (each only reads the outputs of
// earlier ones, graph inputs and constants). Inputs and constants are in none.
std::vector<Subgraph> fuse(const Graph& graph);

// The subgraph as a compute DAG: one placeholder per external input (in `inputs`
// order), the members' compute declarations, one output.
ir::ComputeDAG subgraph_dag(const Graph& graph, const Subgraph& subgraph);

}  // namespace bcd::graph
