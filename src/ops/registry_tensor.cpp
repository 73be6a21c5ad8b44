// Registry definitions of normalization, elementwise and layout operators.
#include "ops/nn.h"
#include "ops/reference.h"
#include "ops/registry_util.h"
#include "ops/shape_util.h"
#include "support/error.h"

namespace bcd::ops::detail {

namespace {

using ir::Tensor;
using Inputs = std::vector<const NDArray*>;

const std::vector<int64_t> kImage{1, 64, 56, 56};  // a ResNet stage-1 activation

OpInstance softmax_op(const OpParams& p) {
  ParamReader r(p, "softmax");
  auto shape = r.shape("shape", {1, 1000});
  int64_t axis = r.integer("axis", -1);
  Tensor data = ir::placeholder(shape, "data");
  Tensor out = softmax(data, axis);
  return {ir::ComputeDAG({data}, {out}), [axis](const Inputs& in) {
            return single(ref::softmax(*in.at(0), axis));
          }};
}

OpInstance layer_norm_op(const OpParams& p) {
  ParamReader r(p, "layer_norm");
  auto shape = r.shape("shape", {1, 128, 768});
  double eps = r.number("epsilon", 1e-5);
  Tensor data = ir::placeholder(shape, "data");
  Tensor gamma = ir::placeholder({shape.back()}, "gamma");
  Tensor beta = ir::placeholder({shape.back()}, "beta");
  Tensor out = layer_norm(data, gamma, beta, eps);
  return {ir::ComputeDAG({data, gamma, beta}, {out}), [eps](const Inputs& in) {
            return single(ref::layer_norm(*in.at(0), *in.at(1), *in.at(2), eps));
          }};
}

// Activations and pointwise math: one input of any shape, drawn from `domain` in
// tests (positive for log, sqrt and reciprocal).
OpDef unary_def(const std::string& name, const std::string& what,
                Tensor (*declare)(const Tensor&), NDArray (*reference)(const NDArray&),
                std::pair<float, float> domain = {-1.0f, 1.0f}) {
  return {name, "shape=1x64x56x56: " + what, [=](const OpParams& p) {
            ParamReader r(p, name);
            Tensor data = ir::placeholder(r.shape("shape", kImage), "data");
            Tensor out = declare(data);
            return OpInstance{ir::ComputeDAG({data}, {out}),
                              [=](const Inputs& in) { return single(reference(*in.at(0))); },
                              {domain}};
          }};
}

OpInstance clip_op(const OpParams& p) {
  ParamReader r(p, "clip");
  auto shape = r.shape("shape", kImage);
  double lo = r.number("lo", -0.5), hi = r.number("hi", 0.5);
  Tensor data = ir::placeholder(shape, "data");
  Tensor out = clip(data, lo, hi);
  return {ir::ComputeDAG({data}, {out}), [lo, hi](const Inputs& in) {
            return single(ref::clip(*in.at(0), lo, hi));
          }};
}

// Broadcasting binary operators: shapes a and b.
OpDef binary_def(const std::string& name, const std::string& what,
                 Tensor (*declare)(const Tensor&, const Tensor&),
                 NDArray (*reference)(const NDArray&, const NDArray&)) {
  return {name, "a=1x64x56x56,b=1x64x1x1: " + what + " with numpy broadcasting",
          [=](const OpParams& p) {
            ParamReader r(p, name);
            Tensor a = ir::placeholder(r.shape("a", kImage), "a");
            Tensor b = ir::placeholder(r.shape("b", {1, 64, 1, 1}), "b");
            Tensor out = declare(a, b);
            OpInstance inst{ir::ComputeDAG({a, b}, {out}), [=](const Inputs& in) {
                              return single(reference(*in.at(0), *in.at(1)));
                            }};
            // Divisors away from zero keep the quotient well conditioned; a
            // positive base keeps every real power defined.
            if (name == "divide") inst.input_ranges = {{-1.0f, 1.0f}, {0.5f, 2.0f}};
            if (name == "pow") inst.input_ranges = {{0.5f, 2.0f}, {-2.0f, 2.0f}};
            return inst;
          }};
}

// bias_add and batch_norm: per-channel vectors along an axis.
OpInstance bias_add_op(const OpParams& p) {
  ParamReader r(p, "bias_add");
  auto shape = r.shape("shape", kImage);
  int64_t axis = r.integer("axis", 1);
  int ax = normalize_axis(axis, shape.size(), r.op());
  Tensor data = ir::placeholder(shape, "data");
  Tensor bias = ir::placeholder({shape[ax]}, "bias");
  Tensor out = bias_add(data, bias, axis);
  return {ir::ComputeDAG({data, bias}, {out}), [axis](const Inputs& in) {
            return single(ref::bias_add(*in.at(0), *in.at(1), axis));
          }};
}

OpInstance batch_norm_op(const OpParams& p) {
  ParamReader r(p, "batch_norm");
  auto shape = r.shape("shape", kImage);
  int64_t axis = r.integer("axis", 1);
  int ax = normalize_axis(axis, shape.size(), r.op());
  Tensor data = ir::placeholder(shape, "data");
  Tensor scale = ir::placeholder({shape[ax]}, "scale");
  Tensor shift = ir::placeholder({shape[ax]}, "shift");
  Tensor out = batch_norm(data, scale, shift, axis);
  return {ir::ComputeDAG({data, scale, shift}, {out}), [axis](const Inputs& in) {
            return single(ref::batch_norm(*in.at(0), *in.at(1), *in.at(2), axis));
          }};
}

OpInstance pad_op(const OpParams& p) {
  ParamReader r(p, "pad");
  auto shape = r.shape("shape", {1, 3, 224, 224});
  PadAttrs a;
  a.before = r.ints("before", {0, 0, 1, 1});
  a.after = r.ints("after", a.before);
  a.value = r.number("value", 0.0);
  a.mode = parse_pad_mode(r.text("mode", "constant"), r.op());
  Tensor data = ir::placeholder(shape, "data");
  Tensor out = pad(data, a);
  return {ir::ComputeDAG({data}, {out}), [a](const Inputs& in) {
            return single(ref::pad(*in.at(0), a));
          }};
}

OpInstance concat_op(const OpParams& p) {
  ParamReader r(p, "concat");
  auto shape = r.shape("shape", {1, 64, 28, 28});
  auto sizes = r.ints("sizes", {64, 32, 32});
  int64_t axis = r.integer("axis", 1);
  int ax = normalize_axis(axis, shape.size(), r.op());
  std::vector<Tensor> inputs;
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (sizes[k] <= 0) fail("concat: size {} of input {} must be positive", sizes[k], k);
    auto s = shape;
    s[ax] = sizes[k];
    inputs.push_back(ir::placeholder(s, "in" + std::to_string(k)));
  }
  Tensor out = concat(inputs, axis);
  return {ir::ComputeDAG(inputs, {out}), [axis](const Inputs& in) {
            return single(ref::concat(in, axis));
          }};
}

OpInstance reshape_op(const OpParams& p) {
  ParamReader r(p, "reshape");
  auto shape = r.shape("shape", {1, 512, 7, 7});
  auto target = r.ints("newshape", {1, -1});
  Tensor data = ir::placeholder(shape, "data");
  Tensor out = reshape(data, target);
  return {ir::ComputeDAG({data}, {out}), [target](const Inputs& in) {
            return single(ref::reshape(*in.at(0), target));
          }};
}

OpInstance flatten_op(const OpParams& p) {
  ParamReader r(p, "flatten");
  auto shape = r.shape("shape", {1, 512, 7, 7});
  int64_t axis = r.integer("axis", 1);
  Tensor data = ir::placeholder(shape, "data");
  Tensor out = flatten(data, axis);
  return {ir::ComputeDAG({data}, {out}), [axis](const Inputs& in) {
            return single(ref::flatten(*in.at(0), axis));
          }};
}

OpInstance transpose_op(const OpParams& p) {
  ParamReader r(p, "transpose");
  auto shape = r.shape("shape", {1, 128, 12, 64});
  auto axes = r.ints("axes", {0, 2, 1, 3});
  Tensor data = ir::placeholder(shape, "data");
  Tensor out = transpose(data, axes);
  return {ir::ComputeDAG({data}, {out}), [axes](const Inputs& in) {
            return single(ref::transpose(*in.at(0), axes));
          }};
}

OpInstance slice_op(const OpParams& p) {
  ParamReader r(p, "slice");
  auto shape = r.shape("shape", {1, 128, 768});
  SliceAttrs a = resolve_slice(shape, r.ints("starts", {0}), r.ints("ends", {1}), r.ints("axes", {}),
                               r.ints("steps", {}), r.op());
  Tensor data = ir::placeholder(shape, "data");
  Tensor out = slice(data, a);
  return {ir::ComputeDAG({data}, {out}), [a](const Inputs& in) { return single(ref::slice(*in.at(0), a)); }};
}

OpInstance resize_op(const OpParams& p) {
  ParamReader r(p, "resize");
  auto shape = r.shape("shape", {1, 64, 28, 28});
  ResizeAttrs a;
  a.out_shape = r.shape("out", {1, 64, 56, 56});
  const std::string mode = r.text("mode", "nearest"), coords = r.text("coordinates", "half_pixel"),
                    rounding = r.text("rounding", "round_prefer_floor");
  if (mode != "nearest" && mode != "linear") fail("resize: unknown mode '{}' (nearest or linear)", mode);
  a.mode = mode == "linear" ? ResizeMode::Linear : ResizeMode::Nearest;
  a.coordinates = parse_resize_coordinates(coords, r.op());
  a.rounding = parse_nearest_rounding(rounding, r.op());
  Tensor data = ir::placeholder(shape, "data");
  Tensor out = resize(data, a);
  return {ir::ComputeDAG({data}, {out}), [a](const Inputs& in) { return single(ref::resize(*in.at(0), a)); }};
}

OpInstance reduce_op(const OpParams& p) {
  ParamReader r(p, "reduce");
  auto shape = r.shape("shape", {1, 64, 56, 56});
  ReduceAttrs a;
  a.kind = parse_reduce_kind(r.text("kind", "mean"), r.op());
  a.axes = r.ints("axes", {2, 3});
  if (r.flag("all", false)) a.axes.clear();
  a.keepdims = r.flag("keepdims", true);
  Tensor data = ir::placeholder(shape, "data");
  Tensor out = reduce(data, a);
  return {ir::ComputeDAG({data}, {out}), [a](const Inputs& in) { return single(ref::reduce(*in.at(0), a)); }};
}

}  // namespace

void add_tensor_ops(std::vector<OpDef>& defs) {
  defs.push_back({"reduce",
                  "shape=1x64x56x56,kind=mean,axes=2x3,keepdims=1,all=0: sum, mean, max, min or l2 over axes "
                  "(all=1: every axis)",
                  reduce_op});
  defs.push_back({"softmax", "shape=1x1000,axis=-1: exp(x - max) / sum along an axis",
                  softmax_op});
  defs.push_back({"layer_norm",
                  "shape=1x128x768,epsilon=1e-05: normalize the last axis, then gamma and beta",
                  layer_norm_op});
  defs.push_back(unary_def("relu", "max(x, 0)", relu, ref::relu));
  defs.push_back(unary_def("relu6", "min(max(x, 0), 6)", relu6, ref::relu6));
  defs.push_back({"clip", "shape=1x64x56x56,lo=-0.5,hi=0.5: min(max(x, lo), hi)", clip_op});
  defs.push_back(unary_def("sigmoid", "1 / (1 + exp(-x))", sigmoid, ref::sigmoid));
  defs.push_back(unary_def("tanh", "tanh(x)", tanh, ref::tanh));
  defs.push_back(unary_def("gelu", "0.5 * x * (1 + erf(x / sqrt(2)))", gelu, ref::gelu));
  defs.push_back(binary_def("add", "a + b", add, ref::add));
  defs.push_back(binary_def("subtract", "a - b", subtract, ref::subtract));
  defs.push_back(binary_def("multiply", "a * b", multiply, ref::multiply));
  defs.push_back(binary_def("divide", "a / b", divide, ref::divide));
  defs.push_back(binary_def("pow", "a to the power b", pow, ref::pow));
  defs.push_back(unary_def("sqrt", "sqrt(x)", sqrt, ref::sqrt, {0.1f, 4.0f}));
  defs.push_back(unary_def("exp", "exp(x)", exp, ref::exp, {-4.0f, 4.0f}));
  defs.push_back(unary_def("log", "log(x)", log, ref::log, {0.1f, 4.0f}));
  defs.push_back(unary_def("erf", "erf(x)", erf, ref::erf, {-3.0f, 3.0f}));
  defs.push_back(unary_def("abs", "|x|", abs, ref::abs));
  defs.push_back(unary_def("neg", "-x", neg, ref::neg));
  defs.push_back(unary_def("reciprocal", "1 / x", reciprocal, ref::reciprocal, {0.5f, 2.0f}));
  defs.push_back({"bias_add", "shape=1x64x56x56,axis=1: data + bias[c], c along the axis",
                  bias_add_op});
  defs.push_back({"batch_norm",
                  "shape=1x64x56x56,axis=1: folded inference batch norm, data * scale[c] + "
                  "shift[c]",
                  batch_norm_op});
  defs.push_back({"pad", "shape=1x3x224x224,before=0x0x1x1,after=before,value=0,mode=constant: padding (constant, reflect, "
                         "edge)",
                  pad_op});
  defs.push_back({"concat",
                  "shape=1x64x28x28,sizes=64x32x32,axis=1: one input per size, shape with the "
                  "axis extent replaced by the size",
                  concat_op});
  defs.push_back({"reshape", "shape=1x512x7x7,newshape=1x-1: row-major reshape (one -1 inferred)",
                  reshape_op});
  defs.push_back({"flatten", "shape=1x512x7x7,axis=1: collapse dims before and from axis",
                  flatten_op});
  defs.push_back({"transpose", "shape=1x128x12x64,axes=0x2x1x3: permute dimensions",
                  transpose_op});
  defs.push_back({"resize",
                  "shape=1x64x28x28,out=1x64x56x56,mode=nearest,coordinates=half_pixel,rounding=round_prefer_floor: "
                  "ONNX Resize (nearest or linear)",
                  resize_op});
  defs.push_back({"slice", "shape=1x128x768,starts=0,ends=1,axes=,steps=: ONNX Slice (strided, negative "
                           "from the end)",
                  slice_op});
}

}  // namespace bcd::ops::detail
