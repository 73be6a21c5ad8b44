// Elementwise operators: activations, broadcasting binary arithmetic, bias_add.
#include <cmath>

#include "ops/compute_util.h"
#include "ops/nn.h"
#include "ops/shape_util.h"
#include "support/error.h"

namespace bcd::ops {

using ir::Expr;
using ir::Tensor;

namespace {

Tensor unary(const Tensor& x, const std::string& tag, const std::function<Expr(Expr)>& f) {
  detail::check_defined(x, "data", tag);
  check_shape(x->shape, "data", tag);
  return ir::compute(x->shape, [&](const std::vector<Expr>& i) { return f(x(i)); }, tag, tag);
}

Tensor binary(const Tensor& a, const Tensor& b, const std::string& tag,
              const std::function<Expr(Expr, Expr)>& f) {
  detail::check_defined(a, "a", tag);
  detail::check_defined(b, "b", tag);
  check_shape(a->shape, "a", tag);
  check_shape(b->shape, "b", tag);
  std::vector<int64_t> out = broadcast_shape(a->shape, b->shape, tag);
  return ir::compute(
      out,
      [&](const std::vector<Expr>& i) {
        return f(a(detail::broadcast_index(a->shape, i)), b(detail::broadcast_index(b->shape, i)));
      },
      tag, tag);
}

}  // namespace

Tensor relu(const Tensor& x) {
  return unary(x, "relu", [](Expr v) { return ir::max(v, Expr(0.0)); });
}

Tensor relu6(const Tensor& x) {
  return unary(x, "relu6", [](Expr v) { return ir::min(ir::max(v, Expr(0.0)), Expr(6.0)); });
}

Tensor clip(const Tensor& x, double lo, double hi) {
  if (!(lo <= hi)) fail("clip: lower bound {} above upper bound {}", lo, hi);
  return unary(x, "clip", [=](Expr v) { return ir::min(ir::max(v, Expr(lo)), Expr(hi)); });
}

Tensor sigmoid(const Tensor& x) {
  return unary(x, "sigmoid", [](Expr v) { return ir::sigmoid(v); });
}

Tensor tanh(const Tensor& x) {
  return unary(x, "tanh", [](Expr v) { return ir::tanh(v); });
}

Tensor gelu(const Tensor& x) {
  return unary(x, "gelu", [](Expr v) {
    return Expr(0.5) * v * (Expr(1.0) + ir::erf(v * Expr(M_SQRT1_2)));
  });
}

Tensor add(const Tensor& a, const Tensor& b) {
  return binary(a, b, "add", [](Expr x, Expr y) { return x + y; });
}

Tensor subtract(const Tensor& a, const Tensor& b) {
  return binary(a, b, "subtract", [](Expr x, Expr y) { return x - y; });
}

Tensor multiply(const Tensor& a, const Tensor& b) {
  return binary(a, b, "multiply", [](Expr x, Expr y) { return x * y; });
}

Tensor sqrt(const Tensor& x) {
  return unary(x, "sqrt", [](Expr v) { return ir::sqrt(v); });
}

Tensor exp(const Tensor& x) {
  return unary(x, "exp", [](Expr v) { return ir::exp(v); });
}

Tensor log(const Tensor& x) {
  return unary(x, "log", [](Expr v) { return ir::log(v); });
}

Tensor erf(const Tensor& x) {
  return unary(x, "erf", [](Expr v) { return ir::erf(v); });
}

Tensor abs(const Tensor& x) {
  return unary(x, "abs", [](Expr v) { return ir::abs(v); });
}

Tensor neg(const Tensor& x) {
  return unary(x, "neg", [](Expr v) { return Expr(0.0) - v; });
}

Tensor reciprocal(const Tensor& x) {
  return unary(x, "reciprocal", [](Expr v) { return Expr(1.0) / v; });
}

Tensor pow(const Tensor& a, const Tensor& b) {
  return binary(a, b, "pow", [](Expr x, Expr y) { return ir::pow(x, y); });
}

Tensor divide(const Tensor& a, const Tensor& b) {
  return binary(a, b, "divide", [](Expr x, Expr y) { return x / y; });
}

Tensor bias_add(const Tensor& data, const Tensor& bias, int64_t axis) {
  const std::string op = "bias_add";
  detail::check_defined(data, "data", op);
  detail::check_defined(bias, "bias", op);
  check_shape(data->shape, "data", op);
  const int ax = normalize_axis(axis, data->shape.size(), op);
  check_rank(bias->shape, 1, "bias", op);
  if (bias->shape[0] != data->shape[ax])
    fail("{}: bias has {} elements, data {} has {} along axis {}", op, bias->shape[0],
         dims_string(data->shape), data->shape[ax], ax);
  return ir::compute(
      data->shape, [&](const std::vector<Expr>& i) { return data(i) + bias(i[ax]); }, "bias_add",
      "add");
}

}  // namespace bcd::ops
