#include "graph/op_compute.h"

#include "ops/nn.h"
#include "ops/reference.h"
#include "support/error.h"

namespace bcd::graph {

namespace {

void expect_arity(const Node& node, size_t lo, size_t hi) {
  if (node.inputs.size() < lo || node.inputs.size() > hi) {
    if (lo == hi)
      fail("{}: expected {} inputs, got {}", op_name(node.op), lo, node.inputs.size());
    fail("{}: expected {} to {} inputs, got {}", op_name(node.op), lo, hi, node.inputs.size());
  }
}

void check_arity(const Node& node) {
  switch (node.op) {
    case OpType::Input:
    case OpType::Constant: expect_arity(node, 0, 0); break;
    case OpType::Dense: expect_arity(node, 2, 3); break;
    case OpType::Conv2D:
    case OpType::BatchMatmul:
    case OpType::Add:
    case OpType::Subtract:
    case OpType::Multiply:
    case OpType::Divide:
    case OpType::BiasAdd: expect_arity(node, 2, 2); break;
    case OpType::LayerNorm:
    case OpType::BatchNorm: expect_arity(node, 3, 3); break;
    case OpType::Concat: expect_arity(node, 1, 1u << 20); break;
    default: expect_arity(node, 1, 1); break;
  }
}

}  // namespace

ir::Tensor node_compute(const Node& node, const std::vector<ir::Tensor>& in) {
  check_arity(node);
  BCD_CHECK(in.size() == node.inputs.size(), "node {} got {} tensors", node.name, in.size());
  const NodeAttrs& a = node.attrs;
  switch (node.op) {
    case OpType::Input:
    case OpType::Constant: break;
    case OpType::Conv2D: return ops::conv2d(in[0], in[1], a.conv);
    case OpType::Dense: return ops::dense(in[0], in[1], in.size() > 2 ? in[2] : ir::Tensor());
    case OpType::BatchMatmul: return ops::batch_matmul(in[0], in[1]);
    case OpType::MaxPool2D: return ops::max_pool2d(in[0], a.pool);
    case OpType::AvgPool2D: return ops::avg_pool2d(in[0], a.pool);
    case OpType::GlobalAvgPool2D: return ops::global_avg_pool2d(in[0], a.layout);
    case OpType::Softmax: return ops::softmax(in[0], a.axis);
    case OpType::LayerNorm: return ops::layer_norm(in[0], in[1], in[2], a.epsilon);
    case OpType::Relu: return ops::relu(in[0]);
    case OpType::Relu6: return ops::relu6(in[0]);
    case OpType::Clip: return ops::clip(in[0], a.clip_lo, a.clip_hi);
    case OpType::Sigmoid: return ops::sigmoid(in[0]);
    case OpType::Tanh: return ops::tanh(in[0]);
    case OpType::Gelu: return ops::gelu(in[0]);
    case OpType::Add: return ops::add(in[0], in[1]);
    case OpType::Subtract: return ops::subtract(in[0], in[1]);
    case OpType::Multiply: return ops::multiply(in[0], in[1]);
    case OpType::Divide: return ops::divide(in[0], in[1]);
    case OpType::BiasAdd: return ops::bias_add(in[0], in[1], a.axis);
    case OpType::BatchNorm: return ops::batch_norm(in[0], in[1], in[2], a.axis);
    case OpType::Pad: return ops::pad(in[0], a.pad);
    case OpType::Concat: return ops::concat(in, a.axis);
    case OpType::Reshape: return ops::reshape(in[0], a.new_shape);
    case OpType::Flatten: return ops::flatten(in[0], a.axis);
    case OpType::Transpose: return ops::transpose(in[0], a.axes);
  }
  fail("{}: has no compute declaration", op_name(node.op));
}

NDArray node_reference(const Node& node, const std::vector<const NDArray*>& in) {
  BCD_CHECK(in.size() == node.inputs.size(), "node {} got {} arrays", node.name, in.size());
  const NodeAttrs& a = node.attrs;
  namespace ref = ops::ref;
  switch (node.op) {
    case OpType::Input:
    case OpType::Constant: break;
    case OpType::Conv2D: return ref::conv2d(*in[0], *in[1], a.conv);
    case OpType::Dense: return ref::dense(*in[0], *in[1], in.size() > 2 ? in[2] : nullptr);
    case OpType::BatchMatmul: return ref::batch_matmul(*in[0], *in[1]);
    case OpType::MaxPool2D: return ref::max_pool2d(*in[0], a.pool);
    case OpType::AvgPool2D: return ref::avg_pool2d(*in[0], a.pool);
    case OpType::GlobalAvgPool2D: return ref::global_avg_pool2d(*in[0], a.layout);
    case OpType::Softmax: return ref::softmax(*in[0], a.axis);
    case OpType::LayerNorm: return ref::layer_norm(*in[0], *in[1], *in[2], a.epsilon);
    case OpType::Relu: return ref::relu(*in[0]);
    case OpType::Relu6: return ref::relu6(*in[0]);
    case OpType::Clip: return ref::clip(*in[0], a.clip_lo, a.clip_hi);
    case OpType::Sigmoid: return ref::sigmoid(*in[0]);
    case OpType::Tanh: return ref::tanh(*in[0]);
    case OpType::Gelu: return ref::gelu(*in[0]);
    case OpType::Add: return ref::add(*in[0], *in[1]);
    case OpType::Subtract: return ref::subtract(*in[0], *in[1]);
    case OpType::Multiply: return ref::multiply(*in[0], *in[1]);
    case OpType::Divide: return ref::divide(*in[0], *in[1]);
    case OpType::BiasAdd: return ref::bias_add(*in[0], *in[1], a.axis);
    case OpType::BatchNorm: return ref::batch_norm(*in[0], *in[1], *in[2], a.axis);
    case OpType::Pad: return ref::pad(*in[0], a.pad);
    case OpType::Concat: return ref::concat(in, a.axis);
    case OpType::Reshape: return ref::reshape(*in[0], a.new_shape);
    case OpType::Flatten: return ref::flatten(*in[0], a.axis);
    case OpType::Transpose: return ref::transpose(*in[0], a.axes);
  }
  fail("{}: has no reference implementation", op_name(node.op));
}

}  // namespace bcd::graph
