// The ONNX importer's operators: one handler per ONNX operator type, each reading
// its node's inputs and attributes and adding our op(s) to the graph (the mapping is
// described at the top of onnx_import.cpp; the machinery is in onnx_importer.h).
#ifdef BCD_HAVE_ONNX
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "frontends/onnx_importer.h"
#include "ops/shape_util.h"
#include "support/error.h"

namespace bcd::frontends::onnx_detail {

void Importer::import_node(int index, const NodeProto& n) {
  // Before any handler or pattern reads output(0): protobuf would stop an
  // out-of-range read only with its own CHECK message.
  if (n.output_size() == 0 || n.output(0).empty()) fail("the node has no output");
  static const std::map<std::string, Handler> handlers = {
      {"Conv", &Importer::conv},         {"Gemm", &Importer::gemm},
      {"MatMul", &Importer::matmul},     {"MaxPool", &Importer::pool},
      {"AveragePool", &Importer::pool},  {"GlobalAveragePool", &Importer::global_pool},
      {"Gelu", &Importer::gelu},         {"Slice", &Importer::slice},
      {"Split", &Importer::split},        {"Gather", &Importer::gather},
      {"Resize", &Importer::resize},      {"Upsample", &Importer::resize},         {"HardSigmoid", &Importer::hard_sigmoid},
      {"HardSwish", &Importer::hard_sigmoid},
      {"Clip", &Importer::clip},         {"BatchNormalization", &Importer::batch_norm},
      {"Softmax", &Importer::softmax},   {"ReduceSum", &Importer::reduce},
      {"ReduceMean", &Importer::reduce}, {"ReduceMax", &Importer::reduce},
      {"ReduceMin", &Importer::reduce},  {"ReduceL2", &Importer::reduce},
      {"ReduceL1", &Importer::reduce},   {"ReduceSumSquare", &Importer::reduce},
      {"ReduceLogSum", &Importer::reduce}, {"ReduceLogSumExp", &Importer::reduce},
      {"LeakyRelu", &Importer::activation}, {"Elu", &Importer::activation},
      {"Selu", &Importer::activation},   {"Softplus", &Importer::activation},
      {"Softsign", &Importer::activation}, {"LogSoftmax", &Importer::softmax},
      {"Sum", &Importer::variadic},      {"Mean", &Importer::variadic},   {"LayerNormalization", &Importer::layer_norm},
      {"Concat", &Importer::concat},     {"Reshape", &Importer::reshape},
      {"Flatten", &Importer::flatten},   {"Transpose", &Importer::transpose},
      {"Pad", &Importer::pad},           {"Squeeze", &Importer::squeeze},
      {"Unsqueeze", &Importer::squeeze}, {"Constant", &Importer::constant},
      {"Identity", &Importer::identity}, {"Dropout", &Importer::identity},
  };
  const bool standard = n.domain().empty() || n.domain() == "ai.onnx";
  const bool ms_gelu = n.domain() == "com.microsoft" && n.op_type() == "Gelu";
  if (standard && try_fold(n)) return;
  auto it = handlers.find(n.op_type());
  const fmtx::PointwiseOp* pw = standard ? fmtx::pointwise_by_onnx(n.op_type()) : nullptr;
  if (!pw && ((!standard && !ms_gelu) || it == handlers.end()))
    fail("unsupported operator '{}{}'", standard ? "" : n.domain() + ".", n.op_type());
  if ((n.op_type() == "Div" || n.op_type() == "Mul") && try_gelu_pattern(index, n)) return;
  if (n.op_type() == "ReduceMean" && standard && try_layer_norm_pattern(index, n)) return;
  if (pw) return pointwise(n, *pw);
  (this->*it->second)(n);
}

std::string Importer::supported_operators() {
  std::set<std::string> names = {"Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool",
                                 "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL2",
                                 "HardSigmoid", "HardSwish", "Slice", "Split", "ReduceL1", "ReduceSumSquare",
                                 "ReduceLogSum", "ReduceLogSumExp", "LeakyRelu", "Elu", "Selu", "Softplus",
                                 "Softsign", "LogSoftmax", "Sum", "Mean", "Resize", "Upsample",
                                 "Gelu", "Clip", "BatchNormalization", "Softmax", "LayerNormalization",
                                 "Concat", "Reshape", "Flatten", "Transpose", "Pad", "Squeeze",
                                 "Unsqueeze", "Constant", "Identity", "Dropout"};
  for (const auto& p : fmtx::kPointwiseOps) names.insert(p.onnx);
  // Folded when their inputs are known at import (onnx_import_fold.cpp).
  names.insert("Shape");
  names.insert("ConstantOfShape");
  names.insert("Gather (constant indices)");
  names.insert("Cast (data: to float)");
  for (const char* folded : {"Equal", "Less", "Greater", "Where", "Expand", "Range", "Mod", "Min", "Max", "Floor",
                             "Ceil", "ScatterND", "Not", "And", "Or", "Xor"})
    names.insert(std::string(folded) + " (on constants)");
  std::string known;
  for (const auto& name : names) known += (known.empty() ? "" : ", ") + name;
  return known;
}

std::array<int64_t, 2> Importer::pair_attr(const NodeProto& n, const std::string& name,
                                           int64_t dflt) const {
  Shape v = attr_ints(n, name, {dflt, dflt});
  if (v.size() != 2)
    fail("attribute '{}' has {} values, expected 2 (only 2-D windows are supported)", name,
         v.size());
  return {v[0], v[1]};
}

ops::Padding2D Importer::window_pads(const NodeProto& n, const Shape& nchw,
                                     std::array<int64_t, 2> kernel, std::array<int64_t, 2> stride,
                                     std::array<int64_t, 2> dilation) const {
  const std::string mode = attr_string(n, "auto_pad", "NOTSET");
  if (mode == "NOTSET") {
    Shape p = attr_ints(n, "pads", {0, 0, 0, 0});
    if (p.size() != 4) fail("attribute 'pads' has {} values, expected 4", p.size());
    return {p[0], p[1], p[2], p[3]};
  }
  if (mode == "VALID") return {0, 0, 0, 0};
  expect_attr(mode == "SAME_UPPER" || mode == "SAME_LOWER", "auto_pad", mode,
              "NOTSET, VALID, SAME_UPPER and SAME_LOWER are supported");
  ops::Padding2D p{};
  for (int d = 0; d < 2; ++d) {
    const int64_t in = nchw[2 + d], out = (in + stride[d] - 1) / stride[d];
    const int64_t total =
        std::max<int64_t>(0, (out - 1) * stride[d] + (kernel[d] - 1) * dilation[d] + 1 - in);
    const int64_t small = total / 2, large = total - small;
    p[d] = mode == "SAME_UPPER" ? small : large;
    p[2 + d] = total - p[d];
  }
  return p;
}

void Importer::conv(const NodeProto& n) {
  expect_inputs(n, 2, 3);
  const Value& x = input(n, 0);
  const Value& w = input(n, 1);
  const Shape xs = shape_of(x), ws = shape_of(w);
  if (xs.size() != 4 || ws.size() != 4)
    fail("only 2-D convolutions are supported (data {}, weight {})", dims(xs), dims(ws));
  const bool nhwc = x.kind == Value::Kind::View && x.perm == kToNchw;
  NodeAttrs a;
  a.conv.layout = nhwc ? ops::Layout::NHWC : ops::Layout::NCHW;
  a.conv.stride = pair_attr(n, "strides", 1);
  a.conv.dilation = pair_attr(n, "dilations", 1);
  a.conv.groups = attr_int(n, "group", 1);
  const Shape k = attr_ints(n, "kernel_shape", {ws[2], ws[3]});
  if (k != Shape{ws[2], ws[3]})
    fail("kernel_shape {} does not match the weight {}", dims(k), dims(ws));
  a.conv.padding = window_pads(n, xs, {ws[2], ws[3]}, a.conv.stride, a.conv.dilation);
  const std::string name = node_name(n);
  const int data = nhwc ? x.node : realize(x, n.input(0));
  const int weight =
      nhwc ? transposed_node(w, {2, 3, 1, 0}, name + "/weight") : realize(w, n.input(1));
  int y = add(OpType::Conv2D, {data, weight}, a, name);
  if (has_input(n, 2)) {
    NodeAttrs b;
    b.axis = nhwc ? 3 : 1;
    y = add(OpType::BiasAdd, {y, in_node(n, 2)}, b, name + "/bias");
  }
  if (nhwc) return set_view_output(n, y, kToNchw);
  set_output(n, Value::of_node(y));
}

void Importer::pool(const NodeProto& n) {
  expect_inputs(n, 1, 1);
  only_first_output(n);
  const Value& x = input(n, 0);
  const Shape xs = shape_of(x);
  if (xs.size() != 4) fail("only 2-D pooling is supported (data {})", dims(xs));
  const bool avg = n.op_type() == "AveragePool";
  const bool nhwc = x.kind == Value::Kind::View && x.perm == kToNchw;
  NodeAttrs a;
  a.pool.layout = nhwc ? ops::Layout::NHWC : ops::Layout::NCHW;
  if (!attr(n, "kernel_shape")) fail("attribute 'kernel_shape' is missing");
  a.pool.kernel = pair_attr(n, "kernel_shape", 1);
  a.pool.stride = pair_attr(n, "strides", 1);
  const auto dil = pair_attr(n, "dilations", 1);
  expect_attr(dil == std::array<int64_t, 2>{1, 1}, "dilations", dims({dil[0], dil[1]}),
              "only 1 is supported");
  const int64_t ceil = attr_int(n, "ceil_mode", 0);
  expect_attr(ceil == 0 || ceil == 1, "ceil_mode", std::to_string(ceil), "0 or 1");
  if (!avg) {
    const int64_t order = attr_int(n, "storage_order", 0);
    expect_attr(order == 0, "storage_order", std::to_string(order), "only 0 is supported");
  }
  a.pool.padding = window_pads(n, xs, a.pool.kernel, a.pool.stride, dil);
  a.pool.count_include_pad = avg && attr_int(n, "count_include_pad", 0) != 0;
  if (ceil == 1) {
    // Rounding the output size up adds a last window that hangs over the end: the
    // same as padding the end by the overhang, which max pooling and averages over
    // in-bounds elements ignore. As in ONNX Runtime and PyTorch, a window that would
    // start inside the end padding is not added.
    for (int d = 0; d < 2; ++d) {
      const int64_t begin = a.pool.padding[d], end = a.pool.padding[2 + d];
      const int64_t span = xs[2 + d] + begin + end - a.pool.kernel[d];
      if (span < 0) break;  // the pooling op reports the window larger than the data
      int64_t out = (span + a.pool.stride[d] - 1) / a.pool.stride[d] + 1;
      if ((out - 1) * a.pool.stride[d] >= xs[2 + d] + begin) --out;
      const int64_t overhang = (out - 1) * a.pool.stride[d] + a.pool.kernel[d] - (xs[2 + d] + begin + end);
      if (overhang <= 0) continue;
      if (a.pool.count_include_pad)
        fail("ceil_mode=1 with count_include_pad=1 is not supported where it adds a window ({} {})", n.op_type(),
             dims(xs));
      a.pool.padding[2 + d] += overhang;
    }
  }
  const int data = nhwc ? x.node : realize(x, n.input(0));
  const int y = add(avg ? OpType::AvgPool2D : OpType::MaxPool2D, {data}, a, node_name(n));
  if (nhwc) return set_view_output(n, y, kToNchw);
  set_output(n, Value::of_node(y));
}

void Importer::global_pool(const NodeProto& n) {
  expect_inputs(n, 1, 1);
  const Value& x = input(n, 0);
  if (shape_of(x).size() != 4) fail("only 2-D pooling is supported (data {})", dims(shape_of(x)));
  const bool nhwc = x.kind == Value::Kind::View && x.perm == kToNchw;
  NodeAttrs a;
  a.layout = nhwc ? ops::Layout::NHWC : ops::Layout::NCHW;
  const int data = nhwc ? x.node : realize(x, n.input(0));
  const int y = add(OpType::GlobalAvgPool2D, {data}, a, node_name(n));
  if (nhwc) return set_view_output(n, y, kToNchw);
  set_output(n, Value::of_node(y));
}

void Importer::gemm(const NodeProto& n) {
  expect_inputs(n, 2, 3);
  const double alpha = fmtx::exact_double(attr_float(n, "alpha", 1.0f));
  const double beta = fmtx::exact_double(attr_float(n, "beta", 1.0f));
  const int64_t trans_a = attr_int(n, "transA", 0), trans_b = attr_int(n, "transB", 0);
  expect_attr(trans_a == 0 || trans_a == 1, "transA", std::to_string(trans_a), "0 or 1");
  expect_attr(trans_b == 0 || trans_b == 1, "transB", std::to_string(trans_b), "0 or 1");
  Value av = input(n, 0);
  Value bv = input(n, 1);
  if (shape_of(av).size() != 2 || shape_of(bv).size() != 2)
    fail("Gemm operands must be 2-D, got {} and {}", dims(shape_of(av)), dims(shape_of(bv)));
  const std::string name = node_name(n);
  // alpha * A * B + beta * C: a factor is folded into a constant operand, or else
  // multiplies the result (or C) as a node.
  bool scale_result = false;
  if (alpha != 1.0) {
    if (bv.kind == Value::Kind::Const)
      bv = Value::of_const(scaled_const(*bv.c, alpha));
    else if (av.kind == Value::Kind::Const)
      av = Value::of_const(scaled_const(*av.c, alpha));
    else
      scale_result = true;
  }
  const int a = trans_a ? transposed_node(av, {1, 0}, name + "/a") : realize(av, n.input(0));
  // Our dense takes the weight as N x K, which is B when transB = 1.
  const int w = trans_b ? realize(bv, n.input(1)) : transposed_node(bv, {1, 0}, name + "/b");
  std::vector<int> ins = {a, w};
  int extra = -1;  // a bias that is not a 1-D constant: added after
  if (has_input(n, 2) && beta != 0.0) {
    Value c = input(n, 2);
    if (beta != 1.0 && c.kind == Value::Kind::Const) c = Value::of_const(scaled_const(*c.c, beta));
    const int64_t N = g_.node(w).shape[0];
    const Shape cs = shape_of(c);
    // Our dense's bias, unless alpha still has to scale the product.
    if (c.kind == Value::Kind::Const && (cs == Shape{N} || cs == Shape{1, N}) && !scale_result)
      ins.push_back(realize_const(cs.size() == 1 ? *c.c : *reshape_const(c.c, {N})));
    else
      extra = operand(c, n.input(2));
    if (beta != 1.0 && c.kind != Value::Kind::Const)
      extra = add(OpType::Multiply, {extra, scalar_node(beta, name + "/beta")}, {}, name + "/beta_c");
  }
  int y = add(OpType::Dense, ins, {}, name);
  if (scale_result) y = add(OpType::Multiply, {y, scalar_node(alpha, name + "/alpha")}, {}, name + "/alpha_ab");
  if (extra >= 0) y = add(OpType::Add, {y, extra}, {}, name + "/bias");
  set_output(n, Value::of_node(y));
}

void Importer::matmul(const NodeProto& n) {
  expect_inputs(n, 2, 2);
  Value av = input(n, 0);
  Value bv = input(n, 1);
  Shape as = shape_of(av), bs = shape_of(bv);
  const std::string name = node_name(n);
  if (as.empty() || bs.empty()) fail("MatMul of a 0-d operand ({} x {})", dims(as), dims(bs));
  // NumPy: a 1-D left side is a row, a 1-D right side a column; the result drops them.
  const bool row = as.size() == 1, column = bs.size() == 1;
  auto reshaped = [&](const Value& v, const std::string& in, const Shape& shape, const std::string& what) {
    if (v.kind == Value::Kind::Const) return Value::of_const(reshape_const(v.c, shape));
    NodeAttrs r;
    r.new_shape = shape;
    return Value::of_node(add(OpType::Reshape, {realize(v, in)}, r, name + what));
  };
  if (row) av = reshaped(av, n.input(0), {1, as[0]}, "/row"), as = {1, as[0]};
  if (column) bv = reshaped(bv, n.input(1), {bs[0], 1}, "/column"), bs = {bs[0], 1};
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs[bs.size() - 2] != K)
    fail("MatMul of shapes {} and {}: the reduction sizes {} and {} differ", dims(as), dims(bs), K, bs[bs.size() - 2]);
  // The result's shape, with the batch dimensions broadcast.
  const Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  Shape out = ops::broadcast_shape(a_batch, b_batch, "MatMul");
  out.push_back(M);
  out.push_back(N);
  int y;
  if (bs.size() == 2) {
    // Rows times a matrix (a linear layer, over any batch): fold the batch into the
    // rows of one dense.
    int a = realize(av, n.input(0));
    if (as.size() != 2) {
      NodeAttrs flat;
      flat.new_shape = {shape_size(as) / K, K};
      a = add(OpType::Reshape, {a}, flat, name + "/rows");
    }
    y = add(OpType::Dense, {a, transposed_node(bv, {1, 0}, name + "/b")}, {}, name);
  } else {
    // Batches of matrices: batch_matmul over the flattened batch, where each side's
    // batch is the broadcast one or a single matrix.
    const Shape batch(out.begin(), out.end() - 2);
    auto fits = [&](const Shape& side) {
      Shape padded(batch.size() - side.size(), 1);
      padded.insert(padded.end(), side.begin(), side.end());
      return shape_size(side) == 1 || padded == batch;
    };
    const int64_t BA = shape_size(a_batch), BB = shape_size(b_batch);
    if (!fits(a_batch) || !fits(b_batch))
      fail("MatMul of shapes {} and {}: broadcasting between batch dimensions that are both larger than 1 is not "
           "supported",
           dims(as), dims(bs));
    int a = realize(av, n.input(0));
    if (as.size() != 3) {
      NodeAttrs r;
      r.new_shape = {BA, M, K};
      a = add(OpType::Reshape, {a}, r, name + "/batch_a");
    }
    int b = transposed_node(bv, swap_last_two(bs.size()), name + "/b");
    if (bs.size() != 3) {
      NodeAttrs r;
      r.new_shape = {BB, N, K};
      b = add(OpType::Reshape, {b}, r, name + "/batch_b");
    }
    y = add(OpType::BatchMatmul, {a, b}, {}, name);
  }
  Shape final_shape = out;
  if (column) final_shape.pop_back();
  if (row) final_shape.erase(final_shape.end() - (column ? 1 : 2));
  if (final_shape.empty()) final_shape = {1};  // bcd's tensors have rank >= 1
  if (g_.node(y).shape != final_shape) {
    NodeAttrs back;
    back.new_shape = final_shape;
    y = add(OpType::Reshape, {y}, back, name + (bs.size() == 2 && as.size() != 2 ? "/unrows" : "/shape"));
  }
  set_output(n, Value::of_node(y));
}

void Importer::gelu(const NodeProto& n) {
  expect_inputs(n, 1, 1);
  const std::string approx = attr_string(n, "approximate", "none");
  expect_attr(approx == "none", "approximate", approx, "only the exact (erf) GELU is supported");
  set_output(n, Value::of_node(add(OpType::Gelu, {in_node(n, 0)}, {}, node_name(n))));
}

int Importer::sole_reader(const std::string& value, int* slot) const {
  auto it = uses_.find(value);
  if (outputs_.count(value) || it == uses_.end() || it->second.size() != 1) return -1;
  *slot = it->second[0].second;
  return it->second[0].first;
}

ConstPtr Importer::known_const(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end())
    return it->second.kind == Value::Kind::Const ? it->second.c : nullptr;
  auto p = producer_.find(name);
  if (p == producer_.end()) return nullptr;
  const NodeProto& n = model_.graph().node(p->second);
  if (n.op_type() != "Constant" || !n.domain().empty() || n.attribute_size() != 1 ||
      n.attribute(0).name() != "value")
    return nullptr;
  onnx::TensorProto t = n.attribute(0).t();
  try {
    return to_const(t, name);
  } catch (const Error&) {
    return nullptr;  // the Constant node reports its own problem when its turn comes
  }
}

ConstPtr Importer::scaled_const(const Const& c, double factor) const {
  const NDArray& data = float_data(c);
  auto r = std::make_shared<Const>();
  r->name = c.name;
  r->shape = c.shape;
  auto f = std::make_shared<NDArray>(data.shape());
  for (int64_t k = 0; k < data.size(); ++k) (*f)[k] = static_cast<float>(data[k] * factor);
  r->f = std::move(f);
  return r;
}

int Importer::scalar_node(double value, const std::string& name) {
  NDArray a({1});
  a[0] = static_cast<float>(value);
  return g_.add_constant(name, std::move(a));
}

int Importer::operand(const Value& v, const std::string& name) {
  if (v.kind == Value::Kind::Const && v.c->shape.empty() && v.c->node < 0)
    return realize_const(*reshape_const(v.c, {1}));
  if (v.kind == Value::Kind::Const && v.c->shape.empty()) fail("a 0-d (scalar) operand '{}' is not supported here", name);
  if (shape_of(v).empty()) fail("a 0-d (scalar) operand '{}' that is not a constant is not supported", name);
  return realize(v, name);
}

bool Importer::is_scalar_const(const std::string& value, double expected) const {
  const ConstPtr known = known_const(value);
  if (!known) return false;
  const Const& c = *known;
  if (!c.unusable.empty() || !(c.f || c.node >= 0) || shape_size(c.shape) != 1) return false;
  return std::abs(float_data(c)[0] - expected) <= 1e-6 * std::abs(expected);
}

bool Importer::try_gelu_pattern(int index, const NodeProto& first) {
  if (first.input_size() != 2 || first.output_size() != 1) return false;
  const double scale = first.op_type() == "Div" ? M_SQRT2 : M_SQRT1_2;
  if (!is_scalar_const(first.input(1), scale) || !values_.count(first.input(0))) return false;
  const std::string& x = first.input(0);
  const auto& nodes = model_.graph().node();
  int slot = 0;
  std::vector<int> matched;
  auto next = [&](const NodeProto& from, const char* op) -> const NodeProto* {
    const int i = sole_reader(from.output(0), &slot);
    if (i < 0 || nodes.Get(i).op_type() != op || !nodes.Get(i).domain().empty() ||
        nodes.Get(i).input_size() < 1 || nodes.Get(i).output_size() != 1)
      return nullptr;
    matched.push_back(i);
    return &nodes.Get(i);
  };
  auto other = [&](const NodeProto& node) {
    return node.input_size() == 2 ? node.input(1 - slot) : std::string();
  };
  const NodeProto* erf = next(first, "Erf");
  if (!erf) return false;
  const NodeProto* plus = next(*erf, "Add");
  if (!plus || !is_scalar_const(other(*plus), 1.0)) return false;
  const NodeProto* times_x = next(*plus, "Mul");
  if (!times_x || other(*times_x) != x) return false;
  const NodeProto* half = next(*times_x, "Mul");
  if (!half || !is_scalar_const(other(*half), 0.5)) return false;
  for (int i : matched) {
    if (i <= index) return false;  // not in file order: leave it to the general path
  }
  const int y = add(OpType::Gelu, {in_node(first, 0)}, {}, node_name(first));
  for (int i : matched) {
    skip_[static_cast<size_t>(i)] = true;
    release_inputs(nodes.Get(i));
  }
  define(half->output(0), Value::of_node(y));
  return true;
}

void Importer::activation(const NodeProto& n) {
  expect_inputs(n, 1, 1);
  const std::string& op = n.op_type();
  const std::string name = node_name(n);
  const int x = in_node(n, 0);
  auto scalar_op = [&](OpType t, int v, double c, const std::string& what) {
    return add(t, {v, scalar_node(c, name + "/" + what)}, {}, name + "/" + what + "_op");
  };
  int y = -1;
  if (op == "Softsign") {  // x / (1 + |x|)
    y = add(OpType::Divide, {x, scalar_op(OpType::Add, add(OpType::Abs, {x}, {}, name + "/abs"), 1.0, "one")}, {},
            name);
  } else if (op == "Softplus") {  // log(exp(x) + 1)
    y = add(OpType::Log, {scalar_op(OpType::Add, add(OpType::Exp, {x}, {}, name + "/exp"), 1.0, "one")}, {}, name);
  } else {
    // relu(x) + negative part, where min(x, 0) = -relu(-x):
    //   LeakyRelu: alpha * min(x, 0); Elu: alpha * (exp(min(x, 0)) - 1); Selu: Elu's, times gamma.
    const int positive = add(OpType::Relu, {x}, {}, name + "/relu");
    const int negative = add(OpType::Neg, {add(OpType::Relu, {add(OpType::Neg, {x}, {}, name + "/neg")}, {},
                                               name + "/relu_neg")},
                             {}, name + "/min0");
    const bool leaky = op == "LeakyRelu", selu = op == "Selu";
    const double alpha = fmtx::exact_double(
        attr_float(n, "alpha", leaky ? 0.01f : selu ? 1.67326319217681884765625f : 1.0f));
    const int tail = leaky ? negative
                           : scalar_op(OpType::Subtract, add(OpType::Exp, {negative}, {}, name + "/exp"), 1.0, "one");
    y = add(OpType::Add, {positive, scalar_op(OpType::Multiply, tail, alpha, "alpha")}, {}, selu ? name + "/elu" : name);
    if (selu)
      y = add(OpType::Multiply,
              {y, scalar_node(fmtx::exact_double(attr_float(n, "gamma", 1.05070102214813232421875f)), name + "/gamma")},
              {}, name);
  }
  set_output(n, Value::of_node(y));
}

void Importer::variadic(const NodeProto& n) {
  if (n.input_size() < 1) fail("expected at least 1 input");
  // Sum and Mean of any number of inputs, broadcasting: a chain of adds.
  const std::string name = node_name(n);
  int y = operand(input(n, 0), n.input(0));
  for (int k = 1; k < n.input_size(); ++k)
    y = add(OpType::Add, {y, operand(input(n, k), n.input(k))}, {},
            k + 1 == n.input_size() && n.op_type() == "Sum" ? name : name + "/add" + std::to_string(k));
  if (n.op_type() == "Mean")
    y = add(OpType::Multiply, {y, scalar_node(1.0 / n.input_size(), name + "/inverse_count")}, {}, name);
  else if (n.input_size() == 1)
    y = add(OpType::Reshape, {y}, [&] { NodeAttrs r; r.new_shape = g_.node(y).shape; return r; }(), name);
  set_output(n, Value::of_node(y));
}

void Importer::hard_sigmoid(const NodeProto& n) {
  expect_inputs(n, 1, 1);
  const bool swish = n.op_type() == "HardSwish";
  // HardSigmoid(x) = clip(alpha * x + beta, 0, 1); HardSwish(x) = x * HardSigmoid(x)
  // with alpha 1/6 and beta 1/2: elementwise ops that fuse with their producer.
  const double alpha = swish ? 1.0 / 6.0 : fmtx::exact_double(attr_float(n, "alpha", 0.2f));
  const double beta = swish ? 0.5 : fmtx::exact_double(attr_float(n, "beta", 0.5f));
  const std::string name = node_name(n);
  const int x = in_node(n, 0);
  const int scaled = add(OpType::Multiply, {x, scalar_node(alpha, name + "/alpha")}, {}, name + "/scale");
  const int shifted = add(OpType::Add, {scaled, scalar_node(beta, name + "/beta")}, {}, name + "/shift");
  NodeAttrs c;
  c.clip_lo = 0;
  c.clip_hi = 1;
  int y = add(OpType::Clip, {shifted}, c, swish ? name + "/gate" : name);
  if (swish) y = add(OpType::Multiply, {x, y}, {}, name);
  set_output(n, Value::of_node(y));
}

bool Importer::try_layer_norm_pattern(int index, const NodeProto& first) {
  // LayerNorm as exporters spell it before LayerNormalization (opset 17):
  //   m = ReduceMean(x, last axis); d = x - m; v = ReduceMean(d ^ 2 or d * d);
  //   y = d / Sqrt(v + eps) [* gamma] [+ beta]
  // becomes one layer_norm, the anchor the zoo's BERT has; anything else is left to
  // the general path.
  if (first.input_size() < 1 || first.output_size() != 1 || !values_.count(first.input(0))) return false;
  const std::string& x = first.input(0);
  const Shape xs = shape_of(values_.at(x));
  if (xs.empty()) return false;
  const auto& nodes = model_.graph().node();
  auto last_axis_mean = [&](const NodeProto& n) {
    if (n.op_type() != "ReduceMean" || attr_int(n, "keepdims", 1) != 1) return false;
    Shape axes = attr_ints(n, "axes", {});
    if (n.input_size() > 1) {
      const ConstPtr c = known_const(n.input(1));
      if (!c || !c->i) return false;
      axes = *c->i;
    }
    return axes.size() == 1 && (axes[0] == -1 || axes[0] == static_cast<int64_t>(xs.size()) - 1);
  };
  if (!last_axis_mean(first)) return false;
  std::vector<int> matched;
  // The readers of a value, none of them a graph output or before `index`.
  auto readers = [&](const std::string& value) {
    std::vector<std::pair<int, int>> r;
    auto it = uses_.find(value);
    if (outputs_.count(value) || it == uses_.end()) return r;
    for (const auto& u : it->second)
      if (u.first > index) r.push_back(u);
    return it->second.size() == r.size() ? r : std::vector<std::pair<int, int>>{};
  };
  auto op_is = [&](int i, const char* op) {
    return nodes.Get(i).op_type() == op && nodes.Get(i).domain().empty() && nodes.Get(i).output_size() == 1;
  };
  auto scalar_is = [&](const std::string& value, double expected) { return is_scalar_const(value, expected); };
  auto other = [&](int i, int slot) { return nodes.Get(i).input_size() == 2 ? nodes.Get(i).input(1 - slot) : ""; };
  auto sole = [&](const std::string& value, const char* op) {
    auto r = readers(value);
    if (r.size() != 1 || !op_is(r[0].first, op)) return std::pair{-1, -1};
    matched.push_back(r[0].first);
    return r[0];
  };
  const auto [sub, sub_slot] = sole(first.output(0), "Sub");
  if (sub < 0 || sub_slot != 1 || nodes.Get(sub).input(0) != x) return false;
  const std::string& d = nodes.Get(sub).output(0);
  auto d_readers = readers(d);
  if (d_readers.size() != 2 && !(d_readers.size() == 3 && op_is(d_readers[0].first, "Mul"))) return false;
  // The square: Pow(d, 2) or Mul(d, d); and the division by the deviation.
  int square = -1, div = -1;
  for (const auto& [i, slot] : d_readers) {
    if (op_is(i, "Pow") && slot == 0 && scalar_is(other(i, slot), 2.0)) square = i;
    else if (op_is(i, "Mul") && nodes.Get(i).input(0) == d && nodes.Get(i).input(1) == d) square = i;
    else if (op_is(i, "Div") && slot == 0) div = i;
  }
  if (square < 0 || div < 0) return false;
  matched.push_back(square);
  matched.push_back(div);
  const auto [var, var_slot] = sole(nodes.Get(square).output(0), "ReduceMean");
  if (var < 0 || !last_axis_mean(nodes.Get(var))) return false;
  const auto [plus, plus_slot] = sole(nodes.Get(var).output(0), "Add");
  if (plus < 0) return false;
  const ConstPtr eps = known_const(other(plus, plus_slot));
  if (!eps || shape_size(eps->shape) != 1 || !eps->f) return false;
  const auto [root, root_slot] = sole(nodes.Get(plus).output(0), "Sqrt");
  if (root < 0) return false;
  const auto [div2, div_slot] = sole(nodes.Get(root).output(0), "Div");
  if (div2 != div || div_slot != 1) return false;
  // Optional affine part: * gamma, then + beta, each a constant over the last axis.
  const int64_t h = xs.back();
  auto vector_const = [&](int i, int slot) -> ConstPtr {
    const ConstPtr c = known_const(other(i, slot));
    return c && c->f && (c->shape == Shape{h}) ? c : nullptr;
  };
  std::string out = nodes.Get(div).output(0);
  ConstPtr gamma, beta;
  auto r = readers(out);
  if (r.size() == 1 && op_is(r[0].first, "Mul") && (gamma = vector_const(r[0].first, r[0].second))) {
    matched.push_back(r[0].first);
    out = nodes.Get(r[0].first).output(0);
    r = readers(out);
    if (r.size() == 1 && op_is(r[0].first, "Add") && (beta = vector_const(r[0].first, r[0].second))) {
      matched.push_back(r[0].first);
      out = nodes.Get(r[0].first).output(0);
    }
  }
  NodeAttrs a;
  a.epsilon = fmtx::exact_double(float_data(*eps)[0]);
  const std::string name = node_name(first);
  auto filled = [&](float value, const std::string& what) {
    NDArray v({h});
    v.fill(value);
    return g_.add_constant(name + "/" + what, std::move(v));
  };
  const int xn = in_node(first, 0);
  const int g = gamma ? realize_const(*gamma) : filled(1.0f, "gamma");
  const int b = beta ? realize_const(*beta) : filled(0.0f, "beta");
  const int y = add(OpType::LayerNorm, {xn, g, b}, a, name);
  for (int i : matched) {
    skip_[static_cast<size_t>(i)] = true;
    release_inputs(nodes.Get(i));
  }
  define(out, Value::of_node(y));
  return true;
}

void Importer::clip(const NodeProto& n) {
  expect_inputs(n, 1, 3);
  const double lowest = std::numeric_limits<float>::lowest(),
               highest = std::numeric_limits<float>::max();
  double lo = lowest, hi = highest;
  if (opset_ < 11) {
    lo = attr_double(n, "min", std::numeric_limits<float>::lowest(), "clip_lo");
    hi = attr_double(n, "max", std::numeric_limits<float>::max(), "clip_hi");
  } else {
    auto hints = fmtx::parse_hints(n.doc_string());
    if (has_input(n, 1)) lo = scalar(*const_input(n, 1, "min"), "min");
    if (has_input(n, 2)) hi = scalar(*const_input(n, 2, "max"), "max");
    if (hints.count("clip_lo")) lo = std::strtod(hints["clip_lo"].c_str(), nullptr);
    if (hints.count("clip_hi")) hi = std::strtod(hints["clip_hi"].c_str(), nullptr);
  }
  const int x = in_node(n, 0);
  if (fmtx::parse_hints(n.doc_string())["op"] == "relu6" && lo == 0 && hi == 6)
    return set_output(n, Value::of_node(add(OpType::Relu6, {x}, {}, node_name(n))));
  NodeAttrs a;
  a.clip_lo = lo;
  a.clip_hi = hi;
  set_output(n, Value::of_node(add(OpType::Clip, {x}, a, node_name(n))));
}

void Importer::pointwise(const NodeProto& n, const fmtx::PointwiseOp& pw) {
  expect_inputs(n, pw.inputs, pw.inputs);
  if (pw.inputs == 1) return set_output(n, Value::of_node(add(pw.op, {in_node(n, 0)}, {}, node_name(n))));
  const Value& av = input(n, 0);
  const Value& bv = input(n, 1);
  if (pw.op == OpType::Add && av.kind != Value::Kind::Const && bv.kind == Value::Kind::Const &&
      bv.c->from_1d) {
    // A 1-D constant reshaped to broadcast along one axis: a bias_add.
    const Shape as = shape_of(av), bs = bv.c->shape;
    const int64_t axis = static_cast<int64_t>(as.size()) - static_cast<int64_t>(bs.size());
    bool ok = !bs.empty() && axis >= 0 && as[static_cast<size_t>(axis)] == bs[0];
    for (size_t d = 1; d < bs.size(); ++d) ok = ok && bs[d] == 1;
    if (ok) {
      const int x = realize(av, n.input(0));
      NodeAttrs a;
      a.axis = axis;
      const int b = realize_const(*bv.c->from_1d);
      return set_output(n, Value::of_node(add(OpType::BiasAdd, {x, b}, a, node_name(n))));
    }
  }
  set_output(n, Value::of_node(add(pw.op, {operand(av, n.input(0)), operand(bv, n.input(1))}, {}, node_name(n))));
}

void Importer::batch_norm(const NodeProto& n) {
  expect_inputs(n, 5, 5);
  only_first_output(n);
  const int64_t training = attr_int(n, "training_mode", 0);
  expect_attr(training == 0, "training_mode", std::to_string(training),
              "only inference (0) is supported");
  const double eps = fmtx::exact_double(attr_float(n, "epsilon", 1e-5f));
  const Value& x = input(n, 0);
  const Shape xs = shape_of(x);
  if (xs.size() < 2) fail("data {} has no channel axis", dims(xs));
  const int64_t c = xs[1];
  ConstPtr p[4];
  const char* what[4] = {"scale", "bias", "mean", "var"};
  for (int k = 0; k < 4; ++k) {
    p[k] = const_input(n, k + 1, what[k]);
    if (p[k]->shape != Shape{c})
      fail("{} has shape {}, expected [{}]", what[k], dims(p[k]->shape), c);
    float_data(*p[k]);
  }
  // scale' = scale / sqrt(var + eps), shift = bias - mean * scale' (in double). The
  // writer's form (mean 0, var 1, eps 0) keeps scale and bias as they are.
  bool plain = true;
  for (int64_t k = 0; k < c; ++k)
    plain = plain && float_data(*p[2])[k] == 0.0f &&
            static_cast<double>(float_data(*p[3])[k]) + eps == 1.0;
  ConstPtr scale = p[0], shift = p[1];
  if (!plain) {
    scale = std::make_shared<Const>(*p[0]);
    shift = std::make_shared<Const>(*p[1]);
    scale->node = shift->node = -1;
    auto sf = std::make_shared<NDArray>(Shape{c}), tf = std::make_shared<NDArray>(Shape{c});
    for (int64_t k = 0; k < c; ++k) {
      const double s =
          float_data(*p[0])[k] / std::sqrt(static_cast<double>(float_data(*p[3])[k]) + eps);
      (*sf)[k] = static_cast<float>(s);
      (*tf)[k] = static_cast<float>(float_data(*p[1])[k] - float_data(*p[2])[k] * s);
    }
    scale->f = std::move(sf);
    shift->f = std::move(tf);
  }
  NodeAttrs a;
  const bool view = x.kind == Value::Kind::View;
  a.axis = view ? x.perm[1] : 1;
  const int data = view ? x.node : realize(x, n.input(0));
  const int s = realize_const(*scale);
  const int t = realize_const(*shift);
  const int y = add(OpType::BatchNorm, {data, s, t}, a, node_name(n));
  if (view) return set_view_output(n, y, x.perm);
  set_output(n, Value::of_node(y));
}

void Importer::softmax(const NodeProto& n) {
  expect_inputs(n, 1, 1);
  const int x = in_node(n, 0);
  const auto rank = static_cast<int64_t>(g_.node(x).shape.size());
  int64_t axis = attr_int(n, "axis", opset_ >= 13 ? -1 : 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) fail("axis {} is out of range for rank {}", attr_int(n, "axis", -1), rank);
  NodeAttrs a;
  if (opset_ < 13 && axis != rank - 1) {
    // Before opset 13, Softmax normalizes over all the dimensions from `axis` on:
    // a softmax over the last axis of the input seen as 2-D.
    const Shape xs = g_.node(x).shape;
    NodeAttrs flat, back;
    flat.new_shape = {shape_size(Shape(xs.begin(), xs.begin() + axis)), shape_size(Shape(xs.begin() + axis, xs.end()))};
    back.new_shape = xs;
    a.axis = 1;
    const int rows = add(OpType::Reshape, {x}, flat, node_name(n) + "/rows");
    int y = add(OpType::Softmax, {rows}, a, node_name(n));
    if (n.op_type() == "LogSoftmax") y = add(OpType::Log, {y}, {}, node_name(n) + "/log");
    return set_output(n, Value::of_node(add(OpType::Reshape, {y}, back, node_name(n) + "/unrows")));
  }
  a.axis = axis;
  if (n.op_type() == "LogSoftmax") {
    const int s = add(OpType::Softmax, {x}, a, node_name(n) + "/softmax");
    return set_output(n, Value::of_node(add(OpType::Log, {s}, {}, node_name(n))));
  }
  set_output(n, Value::of_node(add(OpType::Softmax, {x}, a, node_name(n))));
}

void Importer::slice(const NodeProto& n) {
  const Value& x = input(n, 0);
  NodeAttrs a;
  a.slice = slice_attrs(n, shape_of(x));
  set_output(n, Value::of_node(add(OpType::Slice, {realize(x, n.input(0))}, a, node_name(n))));
}

void Importer::gather(const NodeProto& n) {
  expect_inputs(n, 2, 2);
  // Data gathered at constant indices (ViT's class token x[:, 0], a head's rows):
  // one slice per index, concatenated, then the index's shape in the axis' place.
  const Value& x = input(n, 0);
  const Shape xs = shape_of(x);
  const ConstPtr idx = const_input(n, 1, "indices");
  const std::vector<int64_t>& indices = int_data(*idx, "indices");
  const auto d = static_cast<size_t>(ops::normalize_axis(attr_int(n, "axis", 0), xs.size(), "Gather"));
  if (indices.empty()) fail("Gather with no indices");
  const std::string name = node_name(n);
  const int data = realize(x, n.input(0));
  std::vector<int> parts;
  for (size_t k = 0; k < indices.size(); ++k) {
    int64_t i = indices[k];
    if (i < -xs[d] || i >= xs[d]) fail("index {} is out of range for dimension {} of {}", i, d, dims(xs));
    if (i < 0) i += xs[d];
    NodeAttrs a;
    a.slice = ops::resolve_slice(xs, {i}, {i + 1}, {static_cast<int64_t>(d)}, {}, "Gather");
    parts.push_back(add(OpType::Slice, {data}, a, indices.size() == 1 ? name + "/take" : name + "/take" + std::to_string(k)));
  }
  int y = parts[0];
  if (parts.size() > 1) {
    NodeAttrs c;
    c.axis = static_cast<int64_t>(d);
    y = add(OpType::Concat, parts, c, name + "/concat");
  }
  Shape out(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(d));
  out.insert(out.end(), idx->shape.begin(), idx->shape.end());
  out.insert(out.end(), xs.begin() + static_cast<std::ptrdiff_t>(d) + 1, xs.end());
  if (out.empty()) out = {1};
  NodeAttrs r;
  r.new_shape = out;
  set_output(n, Value::of_node(add(OpType::Reshape, {y}, r, name)));
}

void Importer::resize(const NodeProto& n) {
  const bool upsample = n.op_type() == "Upsample";
  expect_inputs(n, 1, 4);
  only_first_output(n);
  const Value& x = input(n, 0);
  const Shape xs = shape_of(x);
  NodeAttrs a;
  // The output size: `sizes` (Resize, input 3), else the input times `scales`
  // (Resize: input 2, opset 10: input 1; Upsample: input 1 or attribute).
  const int scales_at = upsample || opset_ < 11 ? 1 : 2;
  if (!upsample && opset_ >= 11 && has_input(n, 3)) {
    a.resize.out_shape = int_data(*const_input(n, 3, "sizes"), "sizes");
  } else {
    std::vector<float> scales;
    if (has_input(n, scales_at)) {
      const NDArray& s = float_data(*const_input(n, scales_at, "scales"));
      scales.assign(s.data(), s.data() + s.size());
    } else if (const auto* at = attr(n, "scales")) {
      scales.assign(at->floats().begin(), at->floats().end());
    }
    if (scales.size() != xs.size()) fail("{} scales for data of rank {}", scales.size(), xs.size());
    for (size_t d = 0; d < xs.size(); ++d) {
      const double out = std::floor(static_cast<double>(xs[d]) * scales[d]);
      // The coordinates follow the scale; bcd computes them from the sizes, which
      // agree when the scale maps the size exactly.
      if (std::abs(out - static_cast<double>(xs[d]) * scales[d]) > 1e-6 * out)
        fail("scale {} of dimension {} (size {}) does not give a whole size; give sizes instead", scales[d], d,
             xs[d]);
      a.resize.out_shape.push_back(static_cast<int64_t>(out));
    }
  }
  const std::string mode = attr_string(n, "mode", "nearest");
  expect_attr(mode == "nearest" || mode == "linear" || mode == "bilinear", "mode", mode, "nearest and linear");
  a.resize.mode = mode == "nearest" ? ops::ResizeMode::Nearest : ops::ResizeMode::Linear;
  // Before opset 11 (and Upsample) coordinates are asymmetric and nearest floors.
  const bool old = upsample || opset_ < 11;
  const std::string coords = attr_string(n, "coordinate_transformation_mode", old ? "asymmetric" : "half_pixel");
  const std::string rounding = attr_string(n, "nearest_mode", old ? "floor" : "round_prefer_floor");
  expect_attr(coords != "tf_crop_and_resize", "coordinate_transformation_mode", coords,
              "half_pixel, pytorch_half_pixel, align_corners and asymmetric");
  a.resize.coordinates = ops::parse_resize_coordinates(coords, "coordinate_transformation_mode");
  a.resize.rounding = ops::parse_nearest_rounding(rounding, "nearest_mode");
  set_output(n, Value::of_node(add(OpType::Resize, {realize(x, n.input(0))}, a, node_name(n))));
}

void Importer::split(const NodeProto& n) {
  expect_inputs(n, 1, 2);
  const Value& x = input(n, 0);
  const Shape xs = shape_of(x);
  const auto d = static_cast<size_t>(ops::normalize_axis(attr_int(n, "axis", 0), xs.size(), "Split"));
  const auto parts = static_cast<int64_t>(n.output_size());
  if (parts == 0) fail("the node has no output");
  // Sizes from the input (opset 13) or attribute; else equal parts, the last smaller.
  Shape sizes = has_input(n, 1) ? int_data(*const_input(n, 1, "split"), "split") : attr_ints(n, "split", {});
  if (sizes.empty()) {
    const int64_t each = (xs[d] + parts - 1) / parts;
    for (int64_t k = 0, left = xs[d]; k < parts; ++k, left -= each) sizes.push_back(std::min(each, left));
  }
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  if (static_cast<int64_t>(sizes.size()) != parts || total != xs[d])
    fail("split sizes {} do not cut dimension {} of {} into {} parts", dims(sizes), d, dims(xs), parts);
  const int data = realize(x, n.input(0));
  for (int64_t k = 0, begin = 0; k < parts; begin += sizes[static_cast<size_t>(k)], ++k) {
    NodeAttrs a;
    a.slice = ops::resolve_slice(xs, {begin}, {begin + sizes[static_cast<size_t>(k)]}, {static_cast<int64_t>(d)},
                                 {}, "Split");
    define(n.output(static_cast<int>(k)),
           Value::of_node(add(OpType::Slice, {data}, a, node_name(n) + "/" + std::to_string(k))));
  }
}

void Importer::reduce(const NodeProto& n) {
  expect_inputs(n, 1, 2);
  NodeAttrs a;
  const std::string kind = n.op_type().substr(6);  // after "Reduce"
  // L1, SumSquare, LogSum and LogSumExp are sums of a pointwise function, or the
  // log of a sum: elementwise ops around a sum.
  a.reduce.kind = kind == "Mean"  ? ops::ReduceKind::Mean
                  : kind == "Max" ? ops::ReduceKind::Max
                  : kind == "Min" ? ops::ReduceKind::Min
                  : kind == "L2"  ? ops::ReduceKind::L2
                                  : ops::ReduceKind::Sum;
  // The axes are an input from opset 18 (ReduceSum: 13), an attribute before.
  a.reduce.axes = has_input(n, 1) ? int_data(*const_input(n, 1, "axes"), "axes") : attr_ints(n, "axes", {});
  a.reduce.keepdims = attr_int(n, "keepdims", 1) != 0;
  if (a.reduce.axes.empty() && attr_int(n, "noop_with_empty_axes", 0) != 0) return set_output(n, input(n, 0));
  const std::string name = node_name(n);
  int x = in_node(n, 0);
  if (kind == "L1") x = add(OpType::Abs, {x}, {}, name + "/abs");
  if (kind == "SumSquare") x = add(OpType::Multiply, {x, x}, {}, name + "/square");
  if (kind == "LogSumExp") x = add(OpType::Exp, {x}, {}, name + "/exp");
  const bool log = kind == "LogSum" || kind == "LogSumExp";
  int y = add(OpType::Reduce, {x}, a, log ? name + "/sum" : name);
  if (log) y = add(OpType::Log, {y}, {}, name);
  set_output(n, Value::of_node(y));
}

void Importer::layer_norm(const NodeProto& n) {
  expect_inputs(n, 2, 3);
  only_first_output(n);
  const int x = in_node(n, 0);
  const auto rank = static_cast<int64_t>(g_.node(x).shape.size());
  int64_t axis = attr_int(n, "axis", -1);
  if (axis < 0) axis += rank;
  expect_attr(axis == rank - 1, "axis", std::to_string(attr_int(n, "axis", -1)),
              "only the last axis is supported");
  NodeAttrs a;
  a.epsilon = attr_double(n, "epsilon", 1e-5f, "epsilon");
  const int gamma = in_node(n, 1);
  int beta;
  if (has_input(n, 2)) {
    beta = in_node(n, 2);
  } else {
    NDArray zeros(g_.node(gamma).shape);
    zeros.fill(0.0f);
    beta = g_.add_constant(node_name(n) + "/beta", std::move(zeros));
  }
  set_output(n, Value::of_node(add(OpType::LayerNorm, {x, gamma, beta}, a, node_name(n))));
}

void Importer::concat(const NodeProto& n) {
  if (n.input_size() < 1) fail("expected at least 1 input");
  if (!attr(n, "axis")) fail("attribute 'axis' is missing");
  std::vector<int> ins;
  for (int k = 0; k < n.input_size(); ++k) ins.push_back(in_node(n, k));
  NodeAttrs a;
  a.axis = attr_int(n, "axis", 0);
  set_output(n, Value::of_node(add(OpType::Concat, ins, a, node_name(n))));
}

Shape Importer::shape_operand(const NodeProto& n, int k, const std::string& attr_name) const {
  if (has_input(n, k)) return int_data(*const_input(n, k, attr_name), attr_name);
  if (const auto* a = attr(n, attr_name)) {
    expect_type(*a, onnx::AttributeProto::INTS);
    return Shape(a->ints().begin(), a->ints().end());
  }
  fail("the {} is missing", attr_name);
}

void Importer::reshape(const NodeProto& n) {
  expect_inputs(n, 1, 2);
  const Value& x = input(n, 0);
  const Shape in = shape_of(x);
  Shape target = shape_operand(n, 1, "shape");
  const bool allow_zero = attr_int(n, "allowzero", 0) != 0;
  for (size_t d = 0; d < target.size(); ++d)
    if (target[d] == 0 && !allow_zero) {
      if (d >= in.size())
        fail("shape {} copies dimension {} of {}, which has none", dims(target), d, dims(in));
      target[d] = in[d];
    }
  const Shape out = ops::resolve_reshape(in, target, "reshape");
  if (x.kind == Value::Kind::Const && !ours(n, "reshape"))
    return set_output(n, Value::of_const(reshape_const(x.c, out)));
  NodeAttrs a;
  a.new_shape = out;
  set_output(n, Value::of_node(add(OpType::Reshape, {realize(x, n.input(0))}, a, node_name(n))));
}

void Importer::squeeze(const NodeProto& n) {
  expect_inputs(n, 1, 2);
  const bool unsqueeze = n.op_type() == "Unsqueeze";
  const Value& x = input(n, 0);
  const Shape in = shape_of(x);
  Shape axes;
  if (has_input(n, 1) || attr(n, "axes")) axes = shape_operand(n, 1, "axes");
  Shape out;
  if (unsqueeze) {
    const auto rank = static_cast<int64_t>(in.size() + axes.size());
    std::vector<bool> added(static_cast<size_t>(rank), false);
    for (int64_t a : axes) {
      if (a < 0) a += rank;
      if (a < 0 || a >= rank || added[static_cast<size_t>(a)])
        fail("invalid axes {} for rank {}", dims(axes), rank);
      added[static_cast<size_t>(a)] = true;
    }
    for (int64_t d = 0, k = 0; d < rank; ++d)
      out.push_back(added[static_cast<size_t>(d)] ? 1 : in[static_cast<size_t>(k++)]);
  } else {
    const auto rank = static_cast<int64_t>(in.size());
    std::vector<bool> drop(in.size(), axes.empty());
    for (size_t d = 0; d < in.size() && axes.empty(); ++d) drop[d] = in[d] == 1;
    for (int64_t a : axes) {
      if (a < 0) a += rank;
      if (a < 0 || a >= rank || in[static_cast<size_t>(a)] != 1)
        fail("cannot squeeze axes {} of {}", dims(axes), dims(in));
      drop[static_cast<size_t>(a)] = true;
    }
    for (size_t d = 0; d < in.size(); ++d)
      if (!drop[d]) out.push_back(in[d]);
  }
  if (x.kind == Value::Kind::Const) return set_output(n, Value::of_const(reshape_const(x.c, out)));
  if (out.empty()) fail("a scalar result is not supported");
  NodeAttrs a;
  a.new_shape = out;
  set_output(n, Value::of_node(add(OpType::Reshape, {realize(x, n.input(0))}, a, node_name(n))));
}

void Importer::flatten(const NodeProto& n) {
  expect_inputs(n, 1, 1);
  NodeAttrs a;
  a.axis = attr_int(n, "axis", 1);
  set_output(n, Value::of_node(add(OpType::Flatten, {in_node(n, 0)}, a, node_name(n))));
}

void Importer::transpose(const NodeProto& n) {
  expect_inputs(n, 1, 1);
  const Value& x = input(n, 0);
  const auto rank = shape_of(x).size();
  Shape perm = attr_ints(n, "perm", {});
  if (perm.empty())
    for (size_t k = rank; k-- > 0;) perm.push_back(static_cast<int64_t>(k));
  std::vector<int> p = ops::resolve_permutation(perm, rank, "transpose");
  perm.assign(p.begin(), p.end());
  NodeAttrs a;
  if (ours(n, "transpose")) {
    a.axes = perm;
    return set_output(
        n, Value::of_node(add(OpType::Transpose, {realize(x, n.input(0))}, a, node_name(n))));
  }
  if (x.kind == Value::Kind::Const)
    return set_output(n, Value::of_const(transpose_const(*x.c, perm)));
  const int base = x.node;
  const Shape total = x.kind == Value::Kind::View ? compose(x.perm, perm) : perm;
  if (is_identity(total)) return set_output(n, Value::of_node(base));
  if (absorbs(n.output(0), total)) return set_output(n, Value::view(base, total));
  a.axes = total;
  set_output(n, Value::of_node(add(OpType::Transpose, {base}, a, node_name(n))));
}

void Importer::pad(const NodeProto& n) {
  expect_inputs(n, 1, 3);
  const std::string mode = attr_string(n, "mode", "constant");
  expect_attr(mode == "constant" || mode == "reflect" || mode == "edge", "mode", mode,
              "constant, reflect and edge are supported");
  const Value& x = input(n, 0);
  const size_t rank = shape_of(x).size();
  const Shape pads = shape_operand(n, 1, "pads");
  if (pads.size() != 2 * rank)
    fail("pads has {} values, expected {} (data of rank {})", pads.size(), 2 * rank, rank);
  NodeAttrs a;
  a.pad.before.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(rank));
  a.pad.after.assign(pads.begin() + static_cast<std::ptrdiff_t>(rank), pads.end());
  a.pad.mode = ops::parse_pad_mode(mode, "Pad");
  if (opset_ < 11)
    a.pad.value = attr_double(n, "value", 0.0f, "pad_value");
  else if (has_input(n, 2))
    a.pad.value = scalar(*const_input(n, 2, "constant_value"), "constant_value");
  if (auto hints = fmtx::parse_hints(n.doc_string()); hints.count("pad_value"))
    a.pad.value = std::strtod(hints["pad_value"].c_str(), nullptr);
  set_output(n, Value::of_node(add(OpType::Pad, {realize(x, n.input(0))}, a, node_name(n))));
}

void Importer::constant(const NodeProto& n) {
  if (n.attribute_size() != 1) fail("expected exactly one attribute");
  const onnx::AttributeProto& a = n.attribute(0);
  onnx::TensorProto t;
  if (a.name() == "value") {
    t = a.t();
  } else if (a.name() == "value_float" || a.name() == "value_floats") {
    t.set_data_type(onnx::TensorProto::FLOAT);
    if (a.name() == "value_float")
      t.add_float_data(a.f());
    else {
      t.add_dims(a.floats_size());
      for (float v : a.floats()) t.add_float_data(v);
    }
  } else if (a.name() == "value_int" || a.name() == "value_ints") {
    t.set_data_type(onnx::TensorProto::INT64);
    if (a.name() == "value_int")
      t.add_int64_data(a.i());
    else {
      t.add_dims(a.ints_size());
      for (int64_t v : a.ints()) t.add_int64_data(v);
    }
  } else {
    fail("unsupported attribute '{}'", a.name());
  }
  t.set_name(n.output_size() ? n.output(0) : "");
  set_output(n, Value::of_const(to_const(t, hinted_name(n.doc_string(), t.name()))));
}

void Importer::identity(const NodeProto& n) {
  expect_inputs(n, 1, n.op_type() == "Dropout" ? 3 : 1);
  only_first_output(n);
  set_output(n, input(n, 0));
}

}  // namespace bcd::frontends::onnx_detail

#endif  // BCD_HAVE_ONNX
