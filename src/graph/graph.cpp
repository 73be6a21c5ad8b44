#include "graph/graph.h"

#include <algorithm>

#include "graph/op_defs.h"
#include "ir/tensor.h"
#include "support/error.h"

namespace bcd::graph {

const char* op_name(OpType op) { return op_def(op).name; }

OpType parse_op(const std::string& name) {
  std::string known;
  for (const OpDef& def : graph_ops()) {
    if (name == def.name) return def.op;
    known += known.empty() ? "" : ", ";
    known += def.name;
  }
  fail("graph: unknown op '{}' (known: {})", name, known);
}

OpClass op_class(OpType op) { return op_def(op).cls; }

std::vector<int64_t> infer_shape(const Graph& graph, const Node& node) {
  if (node.op == OpType::Input || node.op == OpType::Constant) return node.shape;
  std::vector<ir::Tensor> in;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    const int id = node.inputs[k];
    if (id < 0 || id >= graph.size() || id >= node.id)
      fail("node '{}' ({}): input {} refers to node {} which does not precede it", node.name,
           op_name(node.op), k, id);
    in.push_back(ir::placeholder(graph.node(id).shape, "in" + std::to_string(k)));
  }
  try {
    return node_compute(node, in)->shape;
  } catch (const Error& e) {
    fail("node '{}': {}", node.name, e.what());
  }
}

int Graph::add_input(const std::string& name, std::vector<int64_t> shape) {
  checked_shape_size(shape, fmt::format("input '{}'", name));
  Node n;
  n.id = size();
  n.op = OpType::Input;
  n.name = name;
  n.shape = std::move(shape);
  nodes_.push_back(std::move(n));
  consumers_.emplace_back();
  inputs_.push_back(nodes_.back().id);
  return nodes_.back().id;
}

int Graph::add_constant(const std::string& name, NDArray value) {
  return add_constant(name, std::make_shared<const NDArray>(std::move(value)));
}

int Graph::add_constant(const std::string& name, std::shared_ptr<const NDArray> value) {
  Node n;
  n.id = size();
  n.op = OpType::Constant;
  n.name = name;
  n.shape = value->shape();
  n.value = std::move(value);
  nodes_.push_back(std::move(n));
  consumers_.emplace_back();
  return nodes_.back().id;
}

int Graph::add_constant(const std::string& name, std::vector<int64_t> shape, ConstantInit init) {
  checked_shape_size(shape, fmt::format("constant '{}'", name));
  Node n;
  n.id = size();
  n.op = OpType::Constant;
  n.name = name;
  n.shape = std::move(shape);
  n.init = init;
  nodes_.push_back(std::move(n));
  consumers_.emplace_back();
  return nodes_.back().id;
}

int Graph::add_op(OpType op, std::vector<int> inputs, NodeAttrs attrs, std::string name) {
  if (op == OpType::Input || op == OpType::Constant)
    fail("graph: use add_input/add_constant for '{}'", name);
  Node n;
  n.id = size();
  n.op = op;
  n.name = name.empty() ? std::string(op_name(op)) + "_" + std::to_string(n.id) : std::move(name);
  n.inputs = std::move(inputs);
  n.attrs = std::move(attrs);
  n.shape = infer_shape(*this, n);
  checked_shape_size(n.shape, fmt::format("node '{}' ({})", n.name, op_name(op)));
  if (auto canonicalize = op_def(op).canonicalize) canonicalize(n.attrs, node(n.inputs.at(0)).shape, n.shape);
  for (int in : n.inputs) consumers_[in].push_back(n.id);
  nodes_.push_back(std::move(n));
  consumers_.emplace_back();
  return nodes_.back().id;
}

void Graph::mark_output(int id) {
  node(id);  // validates
  if (!is_output(id)) outputs_.push_back(id);
}

const Node& Graph::node(int id) const {
  if (id < 0 || id >= size()) fail("graph: no node {} (graph has {})", id, size());
  return nodes_[id];
}

bool Graph::is_output(int id) const {
  return std::find(outputs_.begin(), outputs_.end(), id) != outputs_.end();
}

std::shared_ptr<const NDArray> Graph::constant_value(int id) const {
  const Node& n = node(id);
  if (n.op != OpType::Constant) fail("graph: node '{}' is not a constant", n.name);
  std::lock_guard<std::mutex> lock(*constant_mutex_);
  if (!n.value) {
    NDArray a(n.shape);
    std::mt19937_64 rng(n.init.seed);
    a.fill_random(rng, n.init.offset - n.init.scale, n.init.offset + n.init.scale);
    // The cache does not change what the graph means, only when values exist.
    const_cast<Node&>(n).value = std::make_shared<const NDArray>(std::move(a));
  }
  return n.value;
}

void Graph::infer_shapes() {
  for (Node& n : nodes_) {
    if (n.op == OpType::Input || n.op == OpType::Constant) continue;
    n.shape = infer_shape(*this, n);
  }
}

}  // namespace bcd::graph
