// Every graph operator in one table: its name, its fusion class, how many inputs it
// takes, its compute declaration (for shape inference and for building fused
// subgraphs), its naive reference implementation (for the reference executor) and
// how its attributes are put in canonical form. Adding an operator to the graph is
// one enum value in graph.h and one row in op_defs.cpp; the ONNX importer and
// exporter (src/frontends) map it to and from ONNX, and the `bcd op` registry
// (src/ops) builds it on its own under the same name.
#pragma once
#include <vector>

#include "graph/graph.h"
#include "ir/tensor.h"
#include "support/ndarray.h"

namespace bcd::graph {

struct OpDef {
  OpType op;
  const char* name;  // as users and TVM call it ("conv2d", "bias_add", ...)
  OpClass cls;
  size_t min_inputs, max_inputs;
  // Fails (one line) on invalid shapes or attributes. Null for sources.
  ir::Tensor (*compute)(const std::vector<ir::Tensor>& in, const NodeAttrs& attrs);
  NDArray (*reference)(const std::vector<const NDArray*>& in, const NodeAttrs& attrs);
  // Rewrites the attributes into the one form the references and the subgraph
  // builder see (axes non-negative, reshape and transpose targets explicit), given
  // the first input's shape and the inferred output shape. Null: nothing to do.
  void (*canonicalize)(NodeAttrs& attrs, const std::vector<int64_t>& in0, const std::vector<int64_t>& out);
};

// In OpType order: graph_ops()[k].op == OpType(k).
const std::vector<OpDef>& graph_ops();
const OpDef& op_def(OpType op);

// The node's compute declaration over its inputs (node input order); fails with a
// one-line message starting with the operator's name.
ir::Tensor node_compute(const Node& node, const std::vector<ir::Tensor>& inputs);

NDArray node_reference(const Node& node, const std::vector<const NDArray*>& inputs);

}  // namespace bcd::graph
