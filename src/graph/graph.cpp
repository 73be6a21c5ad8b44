#include "graph/graph.h"

#include <algorithm>
#include <numeric>

#include "graph/op_compute.h"
#include "ir/tensor.h"
#include "support/error.h"

namespace bcd::graph {

namespace {

struct OpInfo {
  OpType op;
  const char* name;
  OpClass cls;
};

constexpr OpInfo kOps[] = {
    {OpType::Input, "input", OpClass::Source},
    {OpType::Constant, "constant", OpClass::Source},
    {OpType::Conv2D, "conv2d", OpClass::Anchor},
    {OpType::Dense, "dense", OpClass::Anchor},
    {OpType::BatchMatmul, "batch_matmul", OpClass::Anchor},
    {OpType::MaxPool2D, "max_pool2d", OpClass::Anchor},
    {OpType::AvgPool2D, "avg_pool2d", OpClass::Anchor},
    {OpType::GlobalAvgPool2D, "global_avg_pool2d", OpClass::Anchor},
    {OpType::Softmax, "softmax", OpClass::Anchor},
    {OpType::LayerNorm, "layer_norm", OpClass::Anchor},
    {OpType::Relu, "relu", OpClass::Elementwise},
    {OpType::Relu6, "relu6", OpClass::Elementwise},
    {OpType::Clip, "clip", OpClass::Elementwise},
    {OpType::Sigmoid, "sigmoid", OpClass::Elementwise},
    {OpType::Tanh, "tanh", OpClass::Elementwise},
    {OpType::Gelu, "gelu", OpClass::Elementwise},
    {OpType::Add, "add", OpClass::Elementwise},
    {OpType::Subtract, "subtract", OpClass::Elementwise},
    {OpType::Multiply, "multiply", OpClass::Elementwise},
    {OpType::Divide, "divide", OpClass::Elementwise},
    {OpType::BiasAdd, "bias_add", OpClass::Elementwise},
    {OpType::BatchNorm, "batch_norm", OpClass::Elementwise},
    {OpType::Pad, "pad", OpClass::Injective},
    {OpType::Concat, "concat", OpClass::Injective},
    {OpType::Reshape, "reshape", OpClass::Injective},
    {OpType::Flatten, "flatten", OpClass::Injective},
    {OpType::Transpose, "transpose", OpClass::Injective},
};

const OpInfo& info(OpType op) {
  for (const OpInfo& i : kOps)
    if (i.op == op) return i;
  fail("graph: unknown op type {}", static_cast<int>(op));
}

// Axes are stored non-negative and reshape/transpose targets explicit, so that the
// reference implementations and the subgraph builder see one canonical form.
void canonicalize(Node& node, const std::vector<int64_t>& in0) {
  const auto rank = static_cast<int64_t>(in0.size());
  switch (node.op) {
    case OpType::Softmax:
    case OpType::BiasAdd:
    case OpType::BatchNorm:
    case OpType::Concat:
    case OpType::Flatten:
      if (node.attrs.axis < 0) node.attrs.axis += rank;
      break;
    case OpType::Reshape: node.attrs.new_shape = node.shape; break;
    case OpType::Transpose:
      if (node.attrs.axes.empty()) {
        node.attrs.axes.resize(in0.size());
        std::iota(node.attrs.axes.rbegin(), node.attrs.axes.rend(), 0);
      }
      for (int64_t& a : node.attrs.axes)
        if (a < 0) a += rank;
      break;
    default: break;
  }
}

}  // namespace

const char* op_name(OpType op) { return info(op).name; }

OpType parse_op(const std::string& name) {
  std::string known;
  for (const OpInfo& i : kOps) {
    if (name == i.name) return i.op;
    known += known.empty() ? "" : ", ";
    known += i.name;
  }
  fail("graph: unknown op '{}' (known: {})", name, known);
}

OpClass op_class(OpType op) { return info(op).cls; }

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
  Node n;
  n.id = size();
  n.op = OpType::Constant;
  n.name = name;
  n.shape = value.shape();
  n.value = std::make_shared<const NDArray>(std::move(value));
  nodes_.push_back(std::move(n));
  consumers_.emplace_back();
  return nodes_.back().id;
}

int Graph::add_constant(const std::string& name, std::vector<int64_t> shape, ConstantInit init) {
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
  canonicalize(n, node(n.inputs.at(0)).shape);
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
