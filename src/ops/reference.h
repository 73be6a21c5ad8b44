// Naive reference implementations of the operators: plain loops over NDArrays,
// accumulating in double, written without the IR so that they can check it. Used by
// tests and by whole-model verification; speed matters only enough to run real
// layer shapes in seconds.
//
// Shapes follow the compute declarations in nn.h; arguments are assumed valid (the
// declarations validate them), violations are internal check failures.
#pragma once
#include <vector>

#include "ops/attrs.h"
#include "support/ndarray.h"

namespace bcd::ops::ref {

NDArray conv2d(const NDArray& data, const NDArray& weight, const Conv2DAttrs& attrs);
// bias may be null.
NDArray dense(const NDArray& data, const NDArray& weight, const NDArray* bias);
NDArray batch_matmul(const NDArray& a, const NDArray& b);

NDArray max_pool2d(const NDArray& data, const Pool2DAttrs& attrs);
NDArray avg_pool2d(const NDArray& data, const Pool2DAttrs& attrs);
NDArray global_avg_pool2d(const NDArray& data, Layout layout);

NDArray softmax(const NDArray& data, int64_t axis);
NDArray reduce(const NDArray& data, const ReduceAttrs& attrs);
NDArray layer_norm(const NDArray& data, const NDArray& gamma, const NDArray& beta,
                   double epsilon);
NDArray batch_norm(const NDArray& data, const NDArray& scale, const NDArray& shift,
                   int64_t axis);

NDArray relu(const NDArray& x);
NDArray relu6(const NDArray& x);
NDArray clip(const NDArray& x, double lo, double hi);
NDArray sigmoid(const NDArray& x);
NDArray tanh(const NDArray& x);
NDArray gelu(const NDArray& x);
NDArray add(const NDArray& a, const NDArray& b);
NDArray subtract(const NDArray& a, const NDArray& b);
NDArray multiply(const NDArray& a, const NDArray& b);
NDArray divide(const NDArray& a, const NDArray& b);
NDArray pow(const NDArray& a, const NDArray& b);
NDArray sqrt(const NDArray& x);
NDArray exp(const NDArray& x);
NDArray log(const NDArray& x);
NDArray erf(const NDArray& x);
NDArray abs(const NDArray& x);
NDArray neg(const NDArray& x);
NDArray reciprocal(const NDArray& x);
NDArray bias_add(const NDArray& data, const NDArray& bias, int64_t axis);

NDArray pad(const NDArray& data, const PadAttrs& attrs);
NDArray concat(const std::vector<const NDArray*>& inputs, int64_t axis);
NDArray reshape(const NDArray& data, const std::vector<int64_t>& new_shape);
NDArray flatten(const NDArray& data, int64_t axis);
NDArray transpose(const NDArray& data, const std::vector<int64_t>& axes);
NDArray slice(const NDArray& data, const SliceAttrs& attrs);
NDArray resize(const NDArray& data, const ResizeAttrs& attrs);

}  // namespace bcd::ops::ref
