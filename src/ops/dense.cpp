// Matrix products: dense (fully connected) and batch_matmul.
#include "ops/compute_util.h"
#include "ops/nn.h"
#include "ops/shape_util.h"
#include "support/error.h"

namespace bcd::ops {

using ir::Expr;
using ir::Tensor;

Tensor dense(const Tensor& data, const Tensor& weight, const Tensor& bias) {
  const std::string op = "dense";
  detail::check_defined(data, "data", op);
  detail::check_defined(weight, "weight", op);
  check_rank(data->shape, 2, "data", op);
  check_rank(weight->shape, 2, "weight", op);
  const int64_t M = data->shape[0], K = data->shape[1], N = weight->shape[0];
  if (weight->shape[1] != K)
    fail("{}: data {} and weight {} disagree on the reduction size ({} vs {})", op,
         dims_string(data->shape), dims_string(weight->shape), K, weight->shape[1]);
  if (bias) {
    check_rank(bias->shape, 1, "bias", op);
    if (bias->shape[0] != N) fail("{}: bias has {} elements, expected {}", op, bias->shape[0], N);
  }
  Tensor out = ir::compute(
      {M, N},
      [&](const std::vector<Expr>& i) {
        ir::IterVar k = ir::reduce_axis(K, "k");
        return ir::sum(data(i[0], k.var) * weight(i[1], k.var), {k});
      },
      "dense", "dense");
  out = ir::with_layout_free_inputs(out, {weight});
  if (!bias) return out;
  // The reduction must be the top of its body, so the bias is its own stage.
  return ir::compute(
      {M, N}, [&](const std::vector<Expr>& i) { return out(i[0], i[1]) + bias(i[1]); },
      "dense_bias", "add");  // a bias add, as TVM names dense + bias_add
}

Tensor batch_matmul(const Tensor& a, const Tensor& b) {
  const std::string op = "batch_matmul";
  detail::check_defined(a, "a", op);
  detail::check_defined(b, "b", op);
  check_rank(a->shape, 3, "a", op);
  check_rank(b->shape, 3, "b", op);
  const int64_t BA = a->shape[0], M = a->shape[1], K = a->shape[2];
  const int64_t BB = b->shape[0], N = b->shape[1];
  if (b->shape[2] != K)
    fail("{}: a {} and b {} disagree on the reduction size ({} vs {})", op, dims_string(a->shape),
         dims_string(b->shape), K, b->shape[2]);
  if (BA != BB && BA != 1 && BB != 1)
    fail("{}: batch sizes {} and {} are not broadcastable", op, BA, BB);
  const int64_t B = std::max(BA, BB);
  return ir::compute(
      {B, M, N},
      [&](const std::vector<Expr>& i) {
        ir::IterVar k = ir::reduce_axis(K, "k");
        Expr ba = BA == 1 ? Expr(0) : i[0];
        Expr bb = BB == 1 ? Expr(0) : i[0];
        return ir::sum(a(ba, i[1], k.var) * b(bb, i[2], k.var), {k});
      },
      "batch_matmul", "batch_matmul");
}

}  // namespace bcd::ops
