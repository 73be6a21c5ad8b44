// Reductions over any set of axes: sum, mean, max, min and the L2 norm, as ONNX's
// ReduceSum, ReduceMean, ReduceMax, ReduceMin and ReduceL2 define them.
#include "ops/compute_util.h"
#include "ops/nn.h"
#include "ops/shape_util.h"
#include "support/error.h"

namespace bcd::ops {

using ir::Expr;
using ir::Tensor;

Tensor reduce(const Tensor& data, const ReduceAttrs& attrs) {
  const std::string op = std::string("reduce_") + reduce_kind_name(attrs.kind);
  detail::check_defined(data, "data", op);
  check_shape(data->shape, "data", op);
  std::vector<int64_t> axes;
  const std::vector<int64_t> out_shape = reduce_shape(data->shape, attrs, &axes, op);
  const auto& in = data->shape;
  int64_t count = 1;
  for (int64_t a : axes) count *= in[static_cast<size_t>(a)];
  // Reads data at an output index, with the reduced axes bound to reduction vars.
  auto body = [&, axes](const std::vector<Expr>& i, const std::vector<ir::IterVar>& r) {
    std::vector<Expr> index;
    size_t next_out = 0, next_r = 0;
    for (size_t d = 0; d < in.size(); ++d) {
      const bool reduced = next_r < axes.size() && axes[next_r] == static_cast<int64_t>(d);
      if (reduced) {
        index.push_back(r[next_r++].var);
        if (attrs.keepdims) ++next_out;
      } else {
        index.push_back(i[next_out++]);
      }
    }
    return data(index);
  };
  auto reduce_vars = [&] {
    std::vector<ir::IterVar> r;
    for (size_t k = 0; k < axes.size(); ++k)
      r.push_back(ir::reduce_axis(in[static_cast<size_t>(axes[k])], "r" + std::to_string(k)));
    return r;
  };
  switch (attrs.kind) {
    case ReduceKind::Sum:
    case ReduceKind::Mean: {
      const double scale = attrs.kind == ReduceKind::Mean ? 1.0 / static_cast<double>(count) : 1.0;
      return ir::compute(
          out_shape,
          [&](const std::vector<Expr>& i) {
            auto r = reduce_vars();
            // Scaling each term keeps the mean in one reduction stage.
            return scale == 1.0 ? ir::sum(body(i, r), r) : ir::sum(body(i, r) * Expr(scale), r);
          },
          op, op);
    }
    case ReduceKind::Max:
    case ReduceKind::Min:
      return ir::compute(
          out_shape,
          [&](const std::vector<Expr>& i) {
            auto r = reduce_vars();
            return attrs.kind == ReduceKind::Max ? ir::max_reduce(body(i, r), r) : ir::min_reduce(body(i, r), r);
          },
          op, op);
    case ReduceKind::L2: {
      Tensor squares = ir::compute(
          out_shape,
          [&](const std::vector<Expr>& i) {
            auto r = reduce_vars();
            Expr v = body(i, r);
            return ir::sum(v * v, r);
          },
          op + "_sum", "");
      return ir::compute(out_shape, [&](const std::vector<Expr>& i) { return ir::sqrt(squares(i)); }, op, op);
    }
  }
  fail("{}: unknown reduction", op);
}

}  // namespace bcd::ops
