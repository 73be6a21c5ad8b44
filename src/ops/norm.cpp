// Normalizations: softmax, layer_norm, folded batch_norm.
#include "ops/compute_util.h"
#include "ops/nn.h"
#include "ops/shape_util.h"
#include "support/error.h"

namespace bcd::ops {

using ir::Expr;
using ir::Tensor;

namespace {

// Intermediate reductions keep the reduced axis with extent 1, so that every stage
// has rank >= 1 and reads back with index 0.
std::vector<int64_t> keepdim_shape(std::vector<int64_t> s, int axis) {
  s[axis] = 1;
  return s;
}

std::vector<Expr> with_index(std::vector<Expr> i, int axis, const Expr& v) {
  i[axis] = v;
  return i;
}

void check_vector(const Tensor& t, int64_t n, const std::string& what, const std::string& op) {
  detail::check_defined(t, what, op);
  check_rank(t->shape, 1, what, op);
  if (t->shape[0] != n) fail("{}: {} has {} elements, expected {}", op, what, t->shape[0], n);
}

}  // namespace

Tensor softmax(const Tensor& data, int64_t axis) {
  const std::string op = "softmax";
  detail::check_defined(data, "data", op);
  check_shape(data->shape, "data", op);
  const auto& s = data->shape;
  const int ax = normalize_axis(axis, s.size(), op);
  const auto red = keepdim_shape(s, ax);
  const int64_t n = s[ax];
  Tensor mx = ir::compute(
      red,
      [&](const std::vector<Expr>& i) {
        ir::IterVar k = ir::reduce_axis(n, "k");
        return ir::max_reduce(data(with_index(i, ax, k.var)), {k});
      },
      "softmax_max", "");
  // Subtracting the maximum keeps exp from overflowing.
  Tensor ex = ir::compute(
      s, [&](const std::vector<Expr>& i) { return ir::exp(data(i) - mx(with_index(i, ax, 0))); },
      "softmax_exp", "");
  Tensor total = ir::compute(
      red,
      [&](const std::vector<Expr>& i) {
        ir::IterVar k = ir::reduce_axis(n, "k");
        return ir::sum(ex(with_index(i, ax, k.var)), {k});
      },
      "softmax_sum", "");
  return ir::compute(
      s, [&](const std::vector<Expr>& i) { return ex(i) / total(with_index(i, ax, 0)); },
      "softmax", op);
}

Tensor layer_norm(const Tensor& data, const Tensor& gamma, const Tensor& beta, double epsilon) {
  const std::string op = "layer_norm";
  detail::check_defined(data, "data", op);
  check_shape(data->shape, "data", op);
  const auto& s = data->shape;
  const int ax = static_cast<int>(s.size()) - 1;
  const int64_t n = s[ax];
  check_vector(gamma, n, "gamma", op);
  check_vector(beta, n, "beta", op);
  if (!(epsilon >= 0)) fail("{}: epsilon {} must be non-negative", op, epsilon);
  const auto red = keepdim_shape(s, ax);
  const double inv = 1.0 / static_cast<double>(n);
  Tensor mean = ir::compute(
      red,
      [&](const std::vector<Expr>& i) {
        ir::IterVar k = ir::reduce_axis(n, "k");
        return ir::sum(data(with_index(i, ax, k.var)) * Expr(inv), {k});
      },
      "layer_norm_mean", "");
  // Two passes (mean first) rather than E[x^2] - E[x]^2, which cancels badly.
  Tensor var = ir::compute(
      red,
      [&](const std::vector<Expr>& i) {
        ir::IterVar k = ir::reduce_axis(n, "k");
        Expr d = data(with_index(i, ax, k.var)) - mean(i);
        return ir::sum(d * d * Expr(inv), {k});
      },
      "layer_norm_var", "");
  return ir::compute(
      s,
      [&](const std::vector<Expr>& i) {
        Expr m = mean(with_index(i, ax, 0));
        Expr v = var(with_index(i, ax, 0));
        return (data(i) - m) / ir::sqrt(v + Expr(epsilon)) * gamma(i[ax]) + beta(i[ax]);
      },
      "layer_norm", op);
}

Tensor batch_norm(const Tensor& data, const Tensor& scale, const Tensor& shift, int64_t axis) {
  const std::string op = "batch_norm";
  detail::check_defined(data, "data", op);
  check_shape(data->shape, "data", op);
  const int ax = normalize_axis(axis, data->shape.size(), op);
  check_vector(scale, data->shape[ax], "scale", op);
  check_vector(shift, data->shape[ax], "shift", op);
  return ir::compute(
      data->shape,
      [&](const std::vector<Expr>& i) { return data(i) * scale(i[ax]) + shift(i[ax]); }, op, op);
}

}  // namespace bcd::ops
