// Pooling: max_pool2d, avg_pool2d, global_avg_pool2d (NCHW and NHWC).
#include <limits>

#include "ops/compute_util.h"
#include "ops/nn.h"
#include "ops/shape_util.h"
#include "support/error.h"

namespace bcd::ops {

using ir::Expr;
using ir::Tensor;

namespace {

Expr scaled(const Expr& x, int64_t c) { return c == 1 ? x : x * Expr(c); }

struct PoolSetup {
  bool nchw;
  int64_t N, C, H, W, OH, OW;
  Tensor padded;
  std::vector<int64_t> out_shape;
};

PoolSetup setup_pool(const Tensor& data, const Pool2DAttrs& a, double pad_value,
                     const std::string& op) {
  detail::check_defined(data, "data", op);
  check_rank(data->shape, 4, "data", op);
  PoolSetup s;
  s.nchw = a.layout == Layout::NCHW;
  const auto& d = data->shape;
  s.N = d[0];
  s.C = s.nchw ? d[1] : d[3];
  s.H = s.nchw ? d[2] : d[1];
  s.W = s.nchw ? d[3] : d[2];
  WindowGeometry g = window_output(s.H, s.W, a.kernel, a.stride, a.padding, {1, 1}, op);
  // A window made only of padding has no maximum and no element to average.
  const auto& p = a.padding;
  if (p[0] >= a.kernel[0] || p[2] >= a.kernel[0] || p[1] >= a.kernel[1] || p[3] >= a.kernel[1])
    fail("{}: padding {}x{}x{}x{} must be smaller than kernel {}x{}", op, p[0], p[1], p[2], p[3],
         a.kernel[0], a.kernel[1]);
  s.OH = g.out_h;
  s.OW = g.out_w;
  PadAttrs pa;
  pa.value = pad_value;
  if (s.nchw) {
    pa.before = {0, 0, p[0], p[1]};
    pa.after = {0, 0, p[2], p[3]};
    s.out_shape = {s.N, s.C, s.OH, s.OW};
  } else {
    pa.before = {0, p[0], p[1], 0};
    pa.after = {0, p[2], p[3], 0};
    s.out_shape = {s.N, s.OH, s.OW, s.C};
  }
  s.padded = pad_stage(data, pa, "data_pad");
  return s;
}

// Reduces the window of output position i with `reducer` (sum or max_reduce).
template <typename Reducer>
Tensor window_reduce(const PoolSetup& s, const Pool2DAttrs& a, Reducer reducer,
                     const std::string& name, const std::string& tag) {
  return ir::compute(
      s.out_shape,
      [&](const std::vector<Expr>& i) {
        ir::IterVar ry = ir::reduce_axis(a.kernel[0], "ry"), rx = ir::reduce_axis(a.kernel[1], "rx");
        Expr y = s.nchw ? i[2] : i[1], x = s.nchw ? i[3] : i[2];
        Expr h = scaled(y, a.stride[0]) + ry.var, w = scaled(x, a.stride[1]) + rx.var;
        Expr in = s.nchw ? s.padded(i[0], i[1], h, w) : s.padded(i[0], h, w, i[3]);
        return reducer(in, std::vector<ir::IterVar>{ry, rx});
      },
      name, tag);
}

// Number of input rows (or columns) inside the window starting at out*stride - pad_lo.
Expr in_bounds_count(const Expr& out, int64_t stride, int64_t kernel, int64_t pad_lo,
                     int64_t pad_hi, int64_t extent) {
  Expr start = detail::minus(scaled(out, stride), pad_lo);
  // Without padding on a side, the window never crosses that border.
  Expr lo = pad_lo > 0 ? ir::max(start, Expr(0)) : start;
  Expr hi = pad_hi > 0 ? ir::min(start + Expr(kernel), Expr(extent)) : start + Expr(kernel);
  return hi - lo;
}

}  // namespace

Tensor max_pool2d(const Tensor& data, const Pool2DAttrs& attrs) {
  // Padding with the lowest float keeps padded elements from ever being the maximum
  // (every window holds a real element) without printing an infinity in kernels.
  PoolSetup s = setup_pool(data, attrs, std::numeric_limits<float>::lowest(), "max_pool2d");
  return window_reduce(
      s, attrs, [](Expr e, std::vector<ir::IterVar> ax) { return ir::max_reduce(e, ax); },
      "max_pool2d", "max_pool2d");
}

Tensor avg_pool2d(const Tensor& data, const Pool2DAttrs& attrs) {
  PoolSetup s = setup_pool(data, attrs, 0.0, "avg_pool2d");
  Tensor total = window_reduce(
      s, attrs, [](Expr e, std::vector<ir::IterVar> ax) { return ir::sum(e, ax); },
      "avg_pool2d_sum", "");
  const auto& p = attrs.padding;
  return ir::compute(
      s.out_shape,
      [&](const std::vector<Expr>& i) {
        if (attrs.count_include_pad)
          return total(i) / Expr(static_cast<double>(attrs.kernel[0] * attrs.kernel[1]));
        Expr y = s.nchw ? i[2] : i[1], x = s.nchw ? i[3] : i[2];
        Expr count = in_bounds_count(y, attrs.stride[0], attrs.kernel[0], p[0], p[2], s.H) *
                     in_bounds_count(x, attrs.stride[1], attrs.kernel[1], p[1], p[3], s.W);
        return total(i) / ir::cast(ir::DType::Float, count);
      },
      "avg_pool2d", "avg_pool2d");
}

Tensor global_avg_pool2d(const Tensor& data, Layout layout) {
  const std::string op = "global_avg_pool2d";
  detail::check_defined(data, "data", op);
  check_rank(data->shape, 4, "data", op);
  const bool nchw = layout == Layout::NCHW;
  const auto& d = data->shape;
  const int64_t H = nchw ? d[2] : d[1], W = nchw ? d[3] : d[2];
  std::vector<int64_t> out_shape = nchw ? std::vector<int64_t>{d[0], d[1], 1, 1}
                                        : std::vector<int64_t>{d[0], 1, 1, d[3]};
  const double inv = 1.0 / static_cast<double>(H * W);
  return ir::compute(
      out_shape,
      [&](const std::vector<Expr>& i) {
        ir::IterVar rh = ir::reduce_axis(H, "rh"), rw = ir::reduce_axis(W, "rw");
        Expr in = nchw ? data(i[0], i[1], rh.var, rw.var) : data(i[0], rh.var, rw.var, i[3]);
        // Scaling each term keeps the mean in one reduction stage.
        return ir::sum(in * Expr(inv), {rh, rw});
      },
      op, op);
}

}  // namespace bcd::ops
