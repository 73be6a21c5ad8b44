// Operator definitions as compute declarations: each function takes tensors (usually
// placeholders, or the outputs of a previous operator when a fused subgraph is
// composed, e.g. conv2d -> add -> relu) and returns the output tensor. Attributes and
// shapes are validated here; a failure is a one-line bcd::Error that starts with
// the operator's name.
//
// Tags (what ComputeDAG::description() joins) are the operator names users know from
// TVM task names: "conv2d", "depthwise_conv2d", "group_conv2d", "dense",
// "batch_matmul", "max_pool2d", "avg_pool2d", "global_avg_pool2d", "softmax",
// "layer_norm", "relu", "relu6", "clip", "sigmoid", "tanh", "gelu", "add",
// "subtract", "multiply", "divide", "batch_norm", "constant_pad", "concat",
// "reshape", "flatten", "transpose". Padding that an operator adds for itself is a
// separate stage tagged "pad", which descriptions skip.
#pragma once
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "ops/attrs.h"

namespace bcd::ops {

// --- convolution (conv.cpp) -------------------------------------------------------
// NCHW: data N,C,H,W, weight O,C/groups,KH,KW -> N,O,OH,OW.
// NHWC: data N,H,W,C, weight KH,KW,C/groups,O -> N,OH,OW,O.
// Tag "depthwise_conv2d" when groups == C > 1, "group_conv2d" for other groups > 1.
ir::Tensor conv2d(const ir::Tensor& data, const ir::Tensor& weight, const Conv2DAttrs& attrs);

// --- matrix products (dense.cpp) ----------------------------------------------------
// data M,K x weight N,K -> M,N (out = data * weight^T), plus bias N when given (the
// bias stage is tagged "dense" too: it belongs to the operator).
ir::Tensor dense(const ir::Tensor& data, const ir::Tensor& weight,
                 const ir::Tensor& bias = ir::Tensor());
// a B,M,K x b B,N,K -> B,M,N (out[b] = a[b] * b[b]^T, like TVM's nn.batch_matmul);
// a batch of 1 on either side broadcasts.
ir::Tensor batch_matmul(const ir::Tensor& a, const ir::Tensor& b);

// --- pooling (pool.cpp) -------------------------------------------------------------
// Padded elements never win a max (every window must hold an input element, so a
// padding at least as large as the kernel is rejected).
ir::Tensor max_pool2d(const ir::Tensor& data, const Pool2DAttrs& attrs);
ir::Tensor avg_pool2d(const ir::Tensor& data, const Pool2DAttrs& attrs);
// Mean over H and W, keeping them as 1: N,C,1,1 (NCHW) or N,1,1,C (NHWC).
ir::Tensor global_avg_pool2d(const ir::Tensor& data, Layout layout);

// --- normalization (norm.cpp) ---------------------------------------------------------
// Numerically stable: max-reduce, exp(x - max), sum-reduce, divide.
ir::Tensor softmax(const ir::Tensor& data, int64_t axis = -1);
// Over the last axis: (x - mean) / sqrt(var + epsilon) * gamma + beta, gamma and
// beta of the last axis' extent.
ir::Tensor layer_norm(const ir::Tensor& data, const ir::Tensor& gamma, const ir::Tensor& beta,
                      double epsilon = 1e-5);
// Inference batch norm folded into x * scale[c] + shift[c], c along `axis`.
ir::Tensor batch_norm(const ir::Tensor& data, const ir::Tensor& scale, const ir::Tensor& shift,
                      int64_t axis = 1);

// --- reductions (reduce.cpp) -------------------------------------------------------------
// Sum, mean, max, min or L2 norm over attrs.axes (all when empty); see reduce_shape.
ir::Tensor reduce(const ir::Tensor& data, const ReduceAttrs& attrs);

// --- elementwise (elementwise.cpp) ----------------------------------------------------
ir::Tensor relu(const ir::Tensor& x);
ir::Tensor relu6(const ir::Tensor& x);
ir::Tensor clip(const ir::Tensor& x, double lo, double hi);
ir::Tensor sigmoid(const ir::Tensor& x);
ir::Tensor tanh(const ir::Tensor& x);
// Exact (erf) form: 0.5 * x * (1 + erf(x / sqrt(2))).
ir::Tensor gelu(const ir::Tensor& x);
// Pointwise math as ONNX defines it (Sqrt, Exp, Log, Erf, Abs, Neg, Reciprocal).
ir::Tensor sqrt(const ir::Tensor& x);
ir::Tensor exp(const ir::Tensor& x);
ir::Tensor log(const ir::Tensor& x);
ir::Tensor erf(const ir::Tensor& x);
ir::Tensor abs(const ir::Tensor& x);
ir::Tensor neg(const ir::Tensor& x);
ir::Tensor reciprocal(const ir::Tensor& x);
// Numpy broadcasting between a and b.
ir::Tensor add(const ir::Tensor& a, const ir::Tensor& b);
ir::Tensor subtract(const ir::Tensor& a, const ir::Tensor& b);
ir::Tensor multiply(const ir::Tensor& a, const ir::Tensor& b);
ir::Tensor divide(const ir::Tensor& a, const ir::Tensor& b);
ir::Tensor pow(const ir::Tensor& a, const ir::Tensor& b);
// data + bias[c], c along `axis`; bias is 1-D. Tagged "add": it is the broadcast add
// that TVM's task names show for a bias (conv2d_add_relu).
ir::Tensor bias_add(const ir::Tensor& data, const ir::Tensor& bias, int64_t axis = 1);

// --- layout (layout.cpp) ---------------------------------------------------------------
// Constant padding of every dimension. The stand-alone operator is tagged
// "constant_pad" because "pad" marks helper stages that descriptions skip.
ir::Tensor pad(const ir::Tensor& data, const PadAttrs& attrs);
// The helper stage used by conv2d and pooling: pads with `value`, tag "pad".
ir::Tensor pad_stage(const ir::Tensor& data, const PadAttrs& attrs, const std::string& name);
ir::Tensor concat(const std::vector<ir::Tensor>& inputs, int64_t axis);
// At most one -1 in new_shape, inferred from the element count.
ir::Tensor reshape(const ir::Tensor& data, const std::vector<int64_t>& new_shape);
// Collapses the dimensions before `axis` into one and those from `axis` on into
// another (ONNX Flatten): 1x512x7x7 with axis 1 -> 1x25088.
ir::Tensor flatten(const ir::Tensor& data, int64_t axis = 1);
// out.shape[i] = data.shape[axes[i]]; empty axes reverse the dimensions.
ir::Tensor transpose(const ir::Tensor& data, const std::vector<int64_t>& axes);
// out[i] = data[begin + i * step] per dimension; fails on an empty result.
ir::Tensor slice(const ir::Tensor& data, const SliceAttrs& attrs);
// Nearest or linear resizing to attrs.out_shape (resize.cpp).
ir::Tensor resize(const ir::Tensor& data, const ResizeAttrs& attrs);

}  // namespace bcd::ops
