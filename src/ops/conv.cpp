// 2-D convolution, NCHW and NHWC, with stride, padding, dilation and groups.
#include "ops/compute_util.h"
#include "ops/nn.h"
#include "ops/shape_util.h"
#include "support/error.h"

namespace bcd::ops {

using ir::Expr;
using ir::Tensor;

namespace {

// x * c without a multiplication by 1, so that stride-1 indices stay simple.
Expr scaled(const Expr& x, int64_t c) { return c == 1 ? x : x * Expr(c); }

}  // namespace

Tensor conv2d(const Tensor& data, const Tensor& weight, const Conv2DAttrs& attrs) {
  std::string op = "conv2d";
  detail::check_defined(data, "data", op);
  detail::check_defined(weight, "weight", op);
  check_rank(data->shape, 4, "data", op);
  check_rank(weight->shape, 4, "weight", op);
  const bool nchw = attrs.layout == Layout::NCHW;
  const auto& ds = data->shape;
  const auto& ws = weight->shape;
  const int64_t N = ds[0], C = nchw ? ds[1] : ds[3], H = nchw ? ds[2] : ds[1],
                W = nchw ? ds[3] : ds[2];
  const int64_t O = nchw ? ws[0] : ws[3], Cg = nchw ? ws[1] : ws[2], KH = nchw ? ws[2] : ws[0],
                KW = nchw ? ws[3] : ws[1];
  const int64_t G = attrs.groups;
  if (G <= 0) fail("{}: groups must be positive, got {}", op, G);
  if (C % G != 0) fail("{}: input channels {} not divisible by groups {}", op, C, G);
  if (O % G != 0) fail("{}: output channels {} not divisible by groups {}", op, O, G);
  if (Cg != C / G)
    fail("{}: weight {} ({}) has {} input channels per group, expected {} ({} channels / {} groups)",
         op, dims_string(ws), layout_name(attrs.layout), Cg, C / G, C, G);
  const bool depthwise = G > 1 && G == C;
  std::string tag = depthwise ? "depthwise_conv2d" : G > 1 ? "group_conv2d" : "conv2d";
  op = tag;
  WindowGeometry out = window_output(H, W, {KH, KW}, attrs.stride, attrs.padding,
                                     attrs.dilation, op);

  const auto& p = attrs.padding;
  PadAttrs pa;
  if (nchw) {
    pa.before = {0, 0, p[0], p[1]};
    pa.after = {0, 0, p[2], p[3]};
  } else {
    pa.before = {0, p[0], p[1], 0};
    pa.after = {0, p[2], p[3], 0};
  }
  Tensor padded = pad_stage(data, pa, "data_pad");

  const int64_t out_per_group = O / G;
  std::vector<int64_t> out_shape =
      nchw ? std::vector<int64_t>{N, O, out.out_h, out.out_w}
           : std::vector<int64_t>{N, out.out_h, out.out_w, O};
  Tensor conv = ir::compute(
      out_shape,
      [&](const std::vector<Expr>& i) {
        Expr n = i[0], o = nchw ? i[1] : i[3], y = nchw ? i[2] : i[1], x = nchw ? i[3] : i[2];
        std::vector<ir::IterVar> axes;
        // A depthwise convolution has one input channel per group: no channel axis.
        Expr rc = 0;
        if (Cg > 1) {
          axes.push_back(ir::reduce_axis(Cg, "rc"));
          rc = axes.back().var;
        }
        ir::IterVar ry = ir::reduce_axis(KH, "ry"), rx = ir::reduce_axis(KW, "rx");
        axes.push_back(ry);
        axes.push_back(rx);
        // Input channel: the group of output channel o, then rc within the group.
        Expr ch = rc;
        if (G > 1) {
          Expr group = out_per_group == 1 ? o : ir::floordiv(o, Expr(out_per_group));
          ch = Cg == 1 ? group : scaled(group, Cg) + rc;
        }
        Expr h = scaled(y, attrs.stride[0]) + scaled(ry.var, attrs.dilation[0]);
        Expr w = scaled(x, attrs.stride[1]) + scaled(rx.var, attrs.dilation[1]);
        Expr in = nchw ? padded(n, ch, h, w) : padded(n, h, w, ch);
        Expr wt = nchw ? weight(o, rc, ry.var, rx.var) : weight(ry.var, rx.var, rc, o);
        return ir::sum(in * wt, axes);
      },
      tag, tag);
  return ir::with_layout_free_inputs(conv, {weight});
}

}  // namespace bcd::ops
