#include "graph/op_defs.h"

#include <numeric>

#include "ops/nn.h"
#include "ops/reference.h"
#include "support/error.h"

namespace bcd::graph {

namespace {

using Tensors = std::vector<ir::Tensor>;
using Arrays = std::vector<const NDArray*>;
using Shape = std::vector<int64_t>;
namespace ref = ops::ref;

constexpr size_t kMany = size_t{1} << 20;

void nonnegative_axis(NodeAttrs& a, const Shape& in0, const Shape&) {
  if (a.axis < 0) a.axis += static_cast<int64_t>(in0.size());
}

void explicit_new_shape(NodeAttrs& a, const Shape&, const Shape& out) { a.new_shape = out; }

void explicit_permutation(NodeAttrs& a, const Shape& in0, const Shape&) {
  if (a.axes.empty()) {
    a.axes.resize(in0.size());
    std::iota(a.axes.rbegin(), a.axes.rend(), 0);
  }
  for (int64_t& axis : a.axes)
    if (axis < 0) axis += static_cast<int64_t>(in0.size());
}

void explicit_reduce_axes(NodeAttrs& a, const Shape& in0, const Shape&) {
  std::vector<int64_t> axes;
  ops::reduce_shape(in0, a.reduce, &axes, "reduce");
  a.reduce.axes = axes;
}

// Rows for the operators that read only their inputs, not their attributes.
#define BCD_UNARY(Type, name, fn)                                                   \
  OpDef {                                                                           \
    OpType::Type, name, OpClass::Elementwise, 1, 1,                                 \
        [](const Tensors& in, const NodeAttrs&) { return ops::fn(in[0]); },         \
        [](const Arrays& in, const NodeAttrs&) { return ref::fn(*in[0]); }, nullptr \
  }
#define BCD_BINARY(Type, name, fn)                                                           \
  OpDef {                                                                                    \
    OpType::Type, name, OpClass::Elementwise, 2, 2,                                          \
        [](const Tensors& in, const NodeAttrs&) { return ops::fn(in[0], in[1]); },           \
        [](const Arrays& in, const NodeAttrs&) { return ref::fn(*in[0], *in[1]); }, nullptr \
  }

const std::vector<OpDef> kOps = {
    {OpType::Input, "input", OpClass::Source, 0, 0, nullptr, nullptr, nullptr},
    {OpType::Constant, "constant", OpClass::Source, 0, 0, nullptr, nullptr, nullptr},
    {OpType::Conv2D, "conv2d", OpClass::Anchor, 2, 2,
     [](const Tensors& in, const NodeAttrs& a) { return ops::conv2d(in[0], in[1], a.conv); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::conv2d(*in[0], *in[1], a.conv); }, nullptr},
    {OpType::Dense, "dense", OpClass::Anchor, 2, 3,
     [](const Tensors& in, const NodeAttrs&) {
       return ops::dense(in[0], in[1], in.size() > 2 ? in[2] : ir::Tensor());
     },
     [](const Arrays& in, const NodeAttrs&) { return ref::dense(*in[0], *in[1], in.size() > 2 ? in[2] : nullptr); },
     nullptr},
    {OpType::BatchMatmul, "batch_matmul", OpClass::Anchor, 2, 2,
     [](const Tensors& in, const NodeAttrs&) { return ops::batch_matmul(in[0], in[1]); },
     [](const Arrays& in, const NodeAttrs&) { return ref::batch_matmul(*in[0], *in[1]); }, nullptr},
    {OpType::MaxPool2D, "max_pool2d", OpClass::Anchor, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::max_pool2d(in[0], a.pool); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::max_pool2d(*in[0], a.pool); }, nullptr},
    {OpType::AvgPool2D, "avg_pool2d", OpClass::Anchor, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::avg_pool2d(in[0], a.pool); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::avg_pool2d(*in[0], a.pool); }, nullptr},
    {OpType::GlobalAvgPool2D, "global_avg_pool2d", OpClass::Anchor, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::global_avg_pool2d(in[0], a.layout); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::global_avg_pool2d(*in[0], a.layout); }, nullptr},
    {OpType::Softmax, "softmax", OpClass::Anchor, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::softmax(in[0], a.axis); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::softmax(*in[0], a.axis); }, nonnegative_axis},
    {OpType::Reduce, "reduce", OpClass::Anchor, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::reduce(in[0], a.reduce); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::reduce(*in[0], a.reduce); }, explicit_reduce_axes},
    {OpType::LayerNorm, "layer_norm", OpClass::Anchor, 3, 3,
     [](const Tensors& in, const NodeAttrs& a) { return ops::layer_norm(in[0], in[1], in[2], a.epsilon); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::layer_norm(*in[0], *in[1], *in[2], a.epsilon); },
     nullptr},
    BCD_UNARY(Relu, "relu", relu),
    BCD_UNARY(Relu6, "relu6", relu6),
    {OpType::Clip, "clip", OpClass::Elementwise, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::clip(in[0], a.clip_lo, a.clip_hi); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::clip(*in[0], a.clip_lo, a.clip_hi); }, nullptr},
    BCD_UNARY(Sigmoid, "sigmoid", sigmoid),
    BCD_UNARY(Tanh, "tanh", tanh),
    BCD_UNARY(Gelu, "gelu", gelu),
    BCD_UNARY(Sqrt, "sqrt", sqrt),
    BCD_UNARY(Exp, "exp", exp),
    BCD_UNARY(Log, "log", log),
    BCD_UNARY(Erf, "erf", erf),
    BCD_UNARY(Abs, "abs", abs),
    BCD_UNARY(Neg, "neg", neg),
    BCD_UNARY(Reciprocal, "reciprocal", reciprocal),
    BCD_BINARY(Add, "add", add),
    BCD_BINARY(Subtract, "subtract", subtract),
    BCD_BINARY(Multiply, "multiply", multiply),
    BCD_BINARY(Divide, "divide", divide),
    BCD_BINARY(Pow, "pow", pow),
    {OpType::BiasAdd, "bias_add", OpClass::Elementwise, 2, 2,
     [](const Tensors& in, const NodeAttrs& a) { return ops::bias_add(in[0], in[1], a.axis); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::bias_add(*in[0], *in[1], a.axis); }, nonnegative_axis},
    {OpType::BatchNorm, "batch_norm", OpClass::Elementwise, 3, 3,
     [](const Tensors& in, const NodeAttrs& a) { return ops::batch_norm(in[0], in[1], in[2], a.axis); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::batch_norm(*in[0], *in[1], *in[2], a.axis); },
     nonnegative_axis},
    {OpType::Pad, "pad", OpClass::Injective, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::pad(in[0], a.pad); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::pad(*in[0], a.pad); }, nullptr},
    {OpType::Concat, "concat", OpClass::Injective, 1, kMany,
     [](const Tensors& in, const NodeAttrs& a) { return ops::concat(in, a.axis); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::concat(in, a.axis); }, nonnegative_axis},
    {OpType::Reshape, "reshape", OpClass::Injective, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::reshape(in[0], a.new_shape); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::reshape(*in[0], a.new_shape); }, explicit_new_shape},
    {OpType::Flatten, "flatten", OpClass::Injective, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::flatten(in[0], a.axis); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::flatten(*in[0], a.axis); }, nonnegative_axis},
    {OpType::Transpose, "transpose", OpClass::Injective, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::transpose(in[0], a.axes); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::transpose(*in[0], a.axes); }, explicit_permutation},
    {OpType::Slice, "slice", OpClass::Injective, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::slice(in[0], a.slice); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::slice(*in[0], a.slice); }, nullptr},
    {OpType::Resize, "resize", OpClass::Injective, 1, 1,
     [](const Tensors& in, const NodeAttrs& a) { return ops::resize(in[0], a.resize); },
     [](const Arrays& in, const NodeAttrs& a) { return ref::resize(*in[0], a.resize); }, nullptr},
};

#undef BCD_UNARY
#undef BCD_BINARY

void check_arity(const Node& node, const OpDef& def) {
  const size_t n = node.inputs.size();
  if (n >= def.min_inputs && n <= def.max_inputs) return;
  if (def.min_inputs == def.max_inputs) fail("{}: expected {} inputs, got {}", def.name, def.min_inputs, n);
  if (def.max_inputs == kMany) fail("{}: expected at least {} inputs, got {}", def.name, def.min_inputs, n);
  fail("{}: expected {} to {} inputs, got {}", def.name, def.min_inputs, def.max_inputs, n);
}

}  // namespace

const std::vector<OpDef>& graph_ops() { return kOps; }

const OpDef& op_def(OpType op) {
  const auto k = static_cast<size_t>(op);
  if (k >= kOps.size()) fail("graph: unknown op type {}", k);
  BCD_CHECK(kOps[k].op == op, "graph: the operator table is out of OpType order at {}", kOps[k].name);
  return kOps[k];
}

ir::Tensor node_compute(const Node& node, const std::vector<ir::Tensor>& in) {
  const OpDef& def = op_def(node.op);
  check_arity(node, def);
  BCD_CHECK(in.size() == node.inputs.size(), "node {} got {} tensors", node.name, in.size());
  if (!def.compute) fail("{}: has no compute declaration", def.name);
  return def.compute(in, node.attrs);
}

NDArray node_reference(const Node& node, const std::vector<const NDArray*>& in) {
  const OpDef& def = op_def(node.op);
  BCD_CHECK(in.size() == node.inputs.size(), "node {} got {} arrays", node.name, in.size());
  if (!def.reference) fail("{}: has no reference implementation", def.name);
  return def.reference(in, node.attrs);
}

}  // namespace bcd::graph
