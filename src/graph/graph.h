// The model graph: typed operator nodes over float32 tensors (batch 1), with graph
// inputs, constant weights and shapes inferred as nodes are added. Nodes are stored
// in insertion order, which is a topological order because a node may only use
// nodes that already exist; fusion and the reference executor rely on that order.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ops/attrs.h"
#include "support/ndarray.h"

namespace bcd::graph {

// Each value has its row (name, class, arity, compute, reference) in op_defs.cpp,
// in this order.
enum class OpType : uint8_t {
  Input,     // a graph input (fed at run time)
  Constant,  // a weight
  // anchors: operators with a reduction, each starts a fused subgraph
  Conv2D,          // data, weight
  Dense,           // data, weight[, bias]
  BatchMatmul,     // a, b
  MaxPool2D,       // data
  AvgPool2D,       // data
  GlobalAvgPool2D, // data
  Softmax,         // data
  Reduce,          // data
  LayerNorm,       // data, gamma, beta
  // elementwise and broadcast: fuse into the subgraph of their producer
  Relu, Relu6, Clip, Sigmoid, Tanh, Gelu,
  Sqrt, Exp, Log, Erf, Abs, Neg, Reciprocal,
  Add, Subtract, Multiply, Divide, Pow,
  BiasAdd,    // data, bias
  BatchNorm,  // data, scale, shift (inference batch norm folded to x * scale + shift)
  // injective: fuse with each other, never into an anchor's subgraph
  Pad, Concat, Reshape, Flatten, Transpose, Slice, Resize,
};

// The op's name as users and TVM call it ("conv2d", "bias_add", ...).
const char* op_name(OpType op);
// Fails listing the known names.
OpType parse_op(const std::string& name);

enum class OpClass : uint8_t { Source, Anchor, Elementwise, Injective };
OpClass op_class(OpType op);

// Attributes of every op kind in one plain struct: each op reads only its fields.
struct NodeAttrs {
  ops::Conv2DAttrs conv;               // Conv2D
  ops::Pool2DAttrs pool;               // MaxPool2D, AvgPool2D
  ops::Layout layout = ops::Layout::NCHW;  // GlobalAvgPool2D
  ops::PadAttrs pad;                   // Pad
  // Softmax, BiasAdd, BatchNorm, Concat, Flatten; negative counts from the end.
  int64_t axis = 1;
  double clip_lo = 0, clip_hi = 6;     // Clip
  double epsilon = 1e-5;               // LayerNorm
  std::vector<int64_t> new_shape;      // Reshape (one -1 allowed)
  std::vector<int64_t> axes;           // Transpose (empty: reverse)
  ops::ReduceAttrs reduce;             // Reduce
  ops::SliceAttrs slice;               // Slice
  ops::ResizeAttrs resize;             // Resize
};

// How a constant's values are made when nobody supplied them: uniform in
// [-scale, scale) from a seed, generated on first use so that building a large
// model (VGG's 138M weights) costs nothing until a value is needed.
struct ConstantInit {
  uint64_t seed = 0;
  float scale = 0.1f;
  float offset = 0.0f;  // added to every value (e.g. 1 for a batch-norm scale)
};

struct Node {
  int id = -1;
  OpType op = OpType::Input;
  std::string name;
  std::vector<int> inputs;  // node ids
  NodeAttrs attrs;
  std::vector<int64_t> shape;  // inferred
  // Constants only: explicit values, or how to generate them.
  std::shared_ptr<const NDArray> value;
  ConstantInit init;
};

class Graph {
 public:
  int add_input(const std::string& name, std::vector<int64_t> shape);
  int add_constant(const std::string& name, NDArray value);
  // Shares `value` (a constant of another graph) instead of copying it.
  int add_constant(const std::string& name, std::shared_ptr<const NDArray> value);
  int add_constant(const std::string& name, std::vector<int64_t> shape, ConstantInit init);
  // Infers the shape now; fails with "node 'name' (op): <reason>" on a mismatch.
  int add_op(OpType op, std::vector<int> inputs, NodeAttrs attrs = {}, std::string name = "");
  void mark_output(int node);

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(int id) const;
  int size() const { return static_cast<int>(nodes_.size()); }
  const std::vector<int>& inputs() const { return inputs_; }
  const std::vector<int>& outputs() const { return outputs_; }
  bool is_output(int id) const;
  // Node ids that read node `id`, in increasing order (an input used twice by one
  // node appears twice).
  const std::vector<int>& consumers(int id) const { return consumers_.at(id); }

  // The constant's values (generated and cached on first use; thread-safe).
  std::shared_ptr<const NDArray> constant_value(int id) const;

  // Re-infers every shape from the inputs and constants; fails like add_op.
  void infer_shapes();

 private:
  std::vector<Node> nodes_;
  std::vector<int> inputs_, outputs_;
  std::vector<std::vector<int>> consumers_;
  // Shared so that graphs stay copyable and movable; guards the constants' caches.
  std::shared_ptr<std::mutex> constant_mutex_ = std::make_shared<std::mutex>();
};

// The output shape of `node` given its inputs' shapes (nodes already in `graph`),
// validated by the operator's compute declaration; fails with a one-line message.
std::vector<int64_t> infer_shape(const Graph& graph, const Node& node);

}  // namespace bcd::graph
