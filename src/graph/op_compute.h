// One graph node as the operators of src/ops see it: its compute declaration (for
// shape inference and for building fused subgraphs) and its naive reference
// implementation (for the reference executor). The node's inputs are given in the
// node's input order.
#pragma once
#include <vector>

#include "graph/graph.h"
#include "ir/tensor.h"
#include "support/ndarray.h"

namespace bcd::graph {

// Fails (one line, starting with the operator's name) on invalid shapes or attributes.
ir::Tensor node_compute(const Node& node, const std::vector<ir::Tensor>& inputs);

NDArray node_reference(const Node& node, const std::vector<const NDArray*>& inputs);

}  // namespace bcd::graph
