// Registry definitions of the compute-heavy operators: convolutions, dense,
// batch_matmul and pooling. Defaults are typical layer shapes (ResNet-50, BERT-base).
#include "ops/nn.h"
#include "ops/reference.h"
#include "ops/registry_util.h"
#include "support/error.h"

namespace bcd::ops::detail {

namespace {

using ir::Tensor;
using Inputs = std::vector<const NDArray*>;

std::array<int64_t, 2> positive_pair(const ParamReader& r, const std::string& key,
                                     int64_t fallback) {
  auto v = pair_from_list(r.ints(key, {fallback}), key, r.op());
  if (v[0] <= 0 || v[1] <= 0) fail("{}: {} {}x{} must be positive", r.op(), key, v[0], v[1]);
  return v;
}

std::vector<int64_t> image_shape(Layout layout, int64_t n, int64_t c, int64_t h, int64_t w) {
  return layout == Layout::NCHW ? std::vector<int64_t>{n, c, h, w}
                                : std::vector<int64_t>{n, h, w, c};
}

// conv2d and depthwise_conv2d differ only in how channels and groups are given.
OpInstance build_conv(const ParamReader& r, int64_t n, int64_t c, int64_t o, int64_t h, int64_t w,
                      std::array<int64_t, 2> kernel, Conv2DAttrs attrs) {
  if (c % attrs.groups != 0)
    fail("{}: input channels {} not divisible by groups {}", r.op(), c, attrs.groups);
  const int64_t cg = c / attrs.groups;
  const bool nchw = attrs.layout == Layout::NCHW;
  Tensor data = ir::placeholder(image_shape(attrs.layout, n, c, h, w), "data");
  Tensor weight = ir::placeholder(nchw ? std::vector<int64_t>{o, cg, kernel[0], kernel[1]}
                                       : std::vector<int64_t>{kernel[0], kernel[1], cg, o},
                                  "weight");
  Tensor out = conv2d(data, weight, attrs);
  return {ir::ComputeDAG({data, weight}, {out}), [attrs](const Inputs& in) {
            return single(ref::conv2d(*in.at(0), *in.at(1), attrs));
          }};
}

OpInstance conv2d_op(const OpParams& p) {
  ParamReader r(p, "conv2d");
  const int64_t n = r.size("n", 1), c = r.size("c", 64), h = r.size("h", 56), w = r.size("w", 56);
  const int64_t o = r.size("o", 64);
  auto kernel = positive_pair(r, "kernel", 3);
  Conv2DAttrs a;
  a.stride = positive_pair(r, "stride", 1);
  a.padding = padding_from_list(r.ints("pad", {1}), r.op());
  a.dilation = positive_pair(r, "dilation", 1);
  a.groups = r.size("groups", 1);
  a.layout = r.layout(Layout::NCHW);
  return build_conv(r, n, c, o, h, w, kernel, a);
}

OpInstance depthwise_conv2d_op(const OpParams& p) {
  ParamReader r(p, "depthwise_conv2d");
  const int64_t n = r.size("n", 1), c = r.size("c", 32), h = r.size("h", 112),
                w = r.size("w", 112);
  const int64_t m = r.size("multiplier", 1);
  auto kernel = positive_pair(r, "kernel", 3);
  Conv2DAttrs a;
  a.stride = positive_pair(r, "stride", 1);
  a.padding = padding_from_list(r.ints("pad", {1}), r.op());
  a.dilation = positive_pair(r, "dilation", 1);
  a.groups = c;
  a.layout = r.layout(Layout::NCHW);
  return build_conv(r, n, c, c * m, h, w, kernel, a);
}

OpInstance dense_op(const OpParams& p) {
  ParamReader r(p, "dense");
  const int64_t m = r.size("m", 128), k = r.size("k", 768), n = r.size("n", 768);
  const bool with_bias = r.flag("bias", false);
  Tensor data = ir::placeholder({m, k}, "data");
  Tensor weight = ir::placeholder({n, k}, "weight");
  std::vector<Tensor> inputs{data, weight};
  Tensor bias;
  if (with_bias) {
    bias = ir::placeholder({n}, "bias");
    inputs.push_back(bias);
  }
  Tensor out = dense(data, weight, bias);
  return {ir::ComputeDAG(inputs, {out}), [](const Inputs& in) {
            return single(
                ref::dense(*in.at(0), *in.at(1), in.size() > 2 ? in[2] : nullptr));
          }};
}

OpInstance batch_matmul_op(const OpParams& p) {
  ParamReader r(p, "batch_matmul");
  const int64_t b = r.size("batch", 12), m = r.size("m", 128), n = r.size("n", 128),
                k = r.size("k", 64);
  const int64_t bb = r.size("batch_b", b);
  Tensor a = ir::placeholder({b, m, k}, "a");
  Tensor bt = ir::placeholder({bb, n, k}, "b");
  Tensor out = batch_matmul(a, bt);
  return {ir::ComputeDAG({a, bt}, {out}), [](const Inputs& in) {
            return single(ref::batch_matmul(*in.at(0), *in.at(1)));
          }};
}

// max_pool2d and avg_pool2d share parameters; `is_max` picks the operator.
OpInstance pool_op(const OpParams& p, bool is_max) {
  ParamReader r(p, is_max ? "max_pool2d" : "avg_pool2d");
  const int64_t n = r.size("n", 1), c = r.size("c", 64), h = r.size("h", 112),
                w = r.size("w", 112);
  Pool2DAttrs a;
  a.kernel = positive_pair(r, "kernel", 3);
  a.stride = positive_pair(r, "stride", 2);
  a.padding = padding_from_list(r.ints("pad", {1}), r.op());
  a.layout = r.layout(Layout::NCHW);
  if (!is_max) a.count_include_pad = r.flag("count_include_pad", false);
  Tensor data = ir::placeholder(image_shape(a.layout, n, c, h, w), "data");
  Tensor out = is_max ? max_pool2d(data, a) : avg_pool2d(data, a);
  return {ir::ComputeDAG({data}, {out}), [a, is_max](const Inputs& in) {
            return single(is_max ? ref::max_pool2d(*in.at(0), a)
                                               : ref::avg_pool2d(*in.at(0), a));
          }};
}

OpInstance global_avg_pool2d_op(const OpParams& p) {
  ParamReader r(p, "global_avg_pool2d");
  const int64_t n = r.size("n", 1), c = r.size("c", 512), h = r.size("h", 7), w = r.size("w", 7);
  const Layout layout = r.layout(Layout::NCHW);
  Tensor data = ir::placeholder(image_shape(layout, n, c, h, w), "data");
  Tensor out = global_avg_pool2d(data, layout);
  return {ir::ComputeDAG({data}, {out}), [layout](const Inputs& in) {
            return single(ref::global_avg_pool2d(*in.at(0), layout));
          }};
}

}  // namespace

void add_nn_ops(std::vector<OpDef>& defs) {
  const std::string window =
      "kernel=3,stride=1,pad=1 (1, HxW or TxLxBxR),dilation=1,layout=NCHW|NHWC";
  defs.push_back({"conv2d",
                  "n=1,c=64,h=56,w=56,o=64," + window +
                      ",groups=1: 2-D convolution (weight OxC/gxKHxKW, or KHxKWxC/gxO in NHWC)",
                  conv2d_op});
  defs.push_back({"depthwise_conv2d",
                  "n=1,c=32,h=112,w=112,multiplier=1," + window +
                      ": depthwise 2-D convolution (groups = c, c*multiplier outputs)",
                  depthwise_conv2d_op});
  defs.push_back({"dense", "m=128,k=768,n=768,bias=0: data MxK times weight NxK transposed",
                  dense_op});
  defs.push_back({"batch_matmul",
                  "batch=12,m=128,n=128,k=64,batch_b=batch: a BxMxK times b BxNxK "
                  "transposed per batch (batch_b=1 broadcasts b)",
                  batch_matmul_op});
  defs.push_back({"max_pool2d",
                  "n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1,layout=NCHW|NHWC: max over "
                  "windows, padding ignored",
                  [](const OpParams& p) { return pool_op(p, true); }});
  defs.push_back({"avg_pool2d",
                  "n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1,layout=NCHW|NHWC,"
                  "count_include_pad=0: mean over windows",
                  [](const OpParams& p) { return pool_op(p, false); }});
  defs.push_back({"global_avg_pool2d",
                  "n=1,c=512,h=7,w=7,layout=NCHW|NHWC: mean over height and width",
                  global_avg_pool2d_op});
}

}  // namespace bcd::ops::detail
