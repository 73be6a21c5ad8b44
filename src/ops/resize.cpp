// Resize (ONNX Resize, nearest and linear): source coordinates computed exactly in
// integers (resize_source's N / D), so the kernel and the reference agree to the
// last bit on which elements are read.
#include "ops/compute_util.h"
#include "ops/nn.h"
#include "ops/shape_util.h"
#include "support/error.h"

namespace bcd::ops {

using ir::Expr;
using ir::Tensor;

namespace {

// N and D of resize_source as expressions of the output index.
std::pair<Expr, int64_t> source(const Expr& x, int64_t in, int64_t out, ResizeCoordinates c) {
  switch (c) {
    case ResizeCoordinates::PytorchHalfPixel:
      if (out == 1) return {Expr(0), 1};
      [[fallthrough]];
    case ResizeCoordinates::HalfPixel: return {(x * Expr(2 * in)) + Expr(in - out), 2 * out};
    case ResizeCoordinates::AlignCorners:
      if (out == 1) return {Expr(0), 1};
      return {x * Expr(in - 1), out - 1};
    case ResizeCoordinates::Asymmetric: return {x * Expr(in), out};
  }
  return {Expr(0), 1};
}

Expr clamp_index(const Expr& i, int64_t in) { return ir::max(ir::min(i, Expr(in - 1)), Expr(0)); }

}  // namespace

Tensor resize(const Tensor& data, const ResizeAttrs& a) {
  const std::string op = "resize";
  detail::check_defined(data, "data", op);
  const auto in = data->shape;
  check_shape(in, "data", op);
  check_resize(in, a, op);
  std::vector<size_t> resized;
  for (size_t d = 0; d < in.size(); ++d)
    if (in[d] != a.out_shape[d] || a.coordinates == ResizeCoordinates::AlignCorners) resized.push_back(d);
  return ir::compute(
      a.out_shape,
      [&](const std::vector<Expr>& o) {
        std::vector<Expr> idx = o;
        if (a.mode == ResizeMode::Nearest) {
          for (size_t d : resized) {
            auto [n, den] = source(o[d], in[d], a.out_shape[d], a.coordinates);
            Expr i;
            switch (a.rounding) {
              case NearestRounding::RoundPreferFloor:
                i = ir::floordiv(n * Expr(2) + Expr(den - 1), Expr(2 * den));
                break;
              case NearestRounding::RoundPreferCeil: i = ir::floordiv(n * Expr(2) + Expr(den), Expr(2 * den)); break;
              case NearestRounding::Floor: i = ir::floordiv(n, Expr(den)); break;
              case NearestRounding::Ceil: i = ir::floordiv(n + Expr(den - 1), Expr(den)); break;
            }
            idx[d] = clamp_index(i, in[d]);
          }
          return data(idx);
        }
        // Linear: the lower index and the upper one's weight per resized dimension,
        // then the sum over the 2^k corners of the products of their weights.
        std::vector<Expr> lower, upper, weight;
        for (size_t d : resized) {
          auto [n, den] = source(o[d], in[d], a.out_shape[d], a.coordinates);
          Expr q = ir::floordiv(n, Expr(den));
          Expr i = clamp_index(q, in[d]);
          // Before the first element or at/after the last: no interpolation.
          Expr frac = ir::cast(ir::DType::Float, n - q * Expr(den)) * Expr(1.0 / static_cast<double>(den));
          Expr inside = ir::logical_and(n >= Expr(0), q < Expr(in[d] - 1));
          lower.push_back(i);
          upper.push_back(ir::min(i + Expr(1), Expr(in[d] - 1)));
          weight.push_back(ir::select(inside, frac, Expr(0.0)));
        }
        Expr total;
        for (size_t corner = 0; corner < (size_t{1} << resized.size()); ++corner) {
          std::vector<Expr> at = o;
          Expr w;
          for (size_t k = 0; k < resized.size(); ++k) {
            const bool up = (corner >> k) & 1;
            at[resized[k]] = up ? upper[k] : lower[k];
            Expr wk = up ? weight[k] : Expr(1.0) - weight[k];
            w = w.get() ? w * wk : wk;
          }
          Expr term = w.get() ? data(at) * w : data(at);
          total = total.get() ? total + term : term;
        }
        return total;
      },
      op, op);
}

}  // namespace bcd::ops
