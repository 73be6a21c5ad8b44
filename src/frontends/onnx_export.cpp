// The ONNX writer. Each of our ops becomes the ONNX node(s) below; the importer
// (onnx_import.cpp) maps each of these forms back to the same op.
//
//   input, constant        graph input, float32 initializer (raw data, every weight)
//   conv2d NCHW            Conv (kernel_shape, strides, pads, dilations, group)
//   conv2d NHWC            Transpose(0,3,1,2) -> Conv on Transpose(3,2,0,1) of the
//                          HWIO weight -> Transpose(0,2,3,1); pooling NHWC likewise
//   dense                  Gemm(transB=1), with C when our dense has a bias
//   batch_matmul           MatMul(a, Transpose(b, 0,2,1))
//   max/avg_pool2d         MaxPool / AveragePool (count_include_pad)
//   global_avg_pool2d      GlobalAveragePool
//   softmax, layer_norm    Softmax(axis), LayerNormalization(axis=-1, epsilon)
//   slice                  Slice(starts, ends, axes, steps as initializers)
//   resize                 Resize(x, "", "", sizes) with its three modes
//   reduce                 ReduceSum (axes input), ReduceMean, ReduceMax, ReduceMin,
//                          ReduceL2 (axes attribute), keepdims
//   relu, sigmoid, tanh,   Relu, Sigmoid, Tanh, Sqrt, Exp, Log, Erf, Abs, Neg,
//   sqrt ... reciprocal    Reciprocal (onnx_pointwise.h)
//   relu6, clip            Clip(x, min, max) (relu6 with the hint bcd.op=relu6)
//   gelu                   x * (1 + Erf(x / sqrt(2))) * 0.5: Div, Erf, Add, Mul, Mul
//   add ... divide, pow    Add, Sub, Mul, Div, Pow (numpy broadcasting, as ours)
//   bias_add(axis)         Add(x, Reshape(bias, [C, 1, ...])) with as many trailing
//                          ones as dimensions after the axis
//   batch_norm(axis)       BatchNormalization(x, scale, shift, mean 0, var 1,
//                          epsilon 0), wrapped in Transposes if axis != 1
//   pad, concat, reshape,  Pad(constant), Concat, Reshape (explicit shape),
//   flatten, transpose     Flatten, Transpose; the hint bcd.op=reshape/transpose
//                          keeps the importer from folding them into a constant or
//                          into the layout of the op that reads them
#include <fstream>
#include <limits>
#include <set>

#include "frontends/onnx.h"
#include "frontends/onnx_format.h"
#include "frontends/onnx_pointwise.h"
#include "support/error.h"

#ifdef BCD_HAVE_ONNX
#include <onnx/onnx_pb.h>
#endif

namespace bcd::frontends {

#ifdef BCD_HAVE_ONNX

namespace {

using graph::Node;
using graph::OpType;
namespace fmtx = onnx_format;

class Writer {
 public:
  explicit Writer(const graph::Graph& g) : g_(g) {}

  onnx::ModelProto write() {
    model_.set_ir_version(fmtx::kIrVersion);
    model_.set_producer_name("bcd");
    auto* opset = model_.add_opset_import();
    opset->set_domain("");
    opset->set_version(fmtx::kOpset);
    gp_ = model_.mutable_graph();
    gp_->set_name("bcd");
    // Value names first (ONNX needs them unique; our names usually are).
    for (const Node& n : g_.nodes()) value_.push_back(unique(n.name));
    for (const Node& n : g_.nodes()) emit(n);
    for (int id : g_.outputs()) {
      const Node& n = g_.node(id);
      std::string name = value_[id];
      // A graph output must be produced by a node, not be an input or initializer.
      if (n.op == OpType::Input || n.op == OpType::Constant) {
        name = unique(value_[id] + "/output");
        add_node("Identity", {value_[id]}, name, name);
      }
      add_value_info(gp_->add_output(), name, n.shape);
    }
    return std::move(model_);
  }

 private:
  std::string unique(const std::string& base) {
    std::string name = base.empty() ? "v" : base;
    for (int k = 1; used_.count(name); ++k) name = fmt::format("{}__{}", base, k);
    used_.insert(name);
    return name;
  }

  onnx::NodeProto* add_node(const std::string& op, const std::vector<std::string>& inputs,
                            const std::string& output, const std::string& name) {
    onnx::NodeProto* p = gp_->add_node();
    p->set_op_type(op);
    p->set_name(name);
    for (const std::string& in : inputs) p->add_input(in);
    p->add_output(output);
    return p;
  }

  // A helper value of node `n`: "<its value name>/<suffix>", unique.
  std::string helper(const Node& n, const std::string& suffix) {
    return unique(value_[n.id] + "/" + suffix);
  }

  std::string add_int64_init(const std::string& name, const std::vector<int64_t>& values) {
    onnx::TensorProto* t = gp_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) t->add_int64_data(v);
    return name;
  }

  std::string add_float_init(const std::string& name, const std::vector<int64_t>& shape,
                             const float* data, int64_t count) {
    onnx::TensorProto* t = gp_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(data), count * sizeof(float)));
    return name;
  }

  std::string add_scalar(const Node& n, const std::string& suffix, float value) {
    return add_float_init(helper(n, suffix), {}, &value, 1);
  }

  static void set_ints(onnx::NodeProto* p, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = p->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void set_string(onnx::NodeProto* p, const std::string& name, const std::string& v) {
    auto* a = p->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void set_int(onnx::NodeProto* p, const std::string& name, int64_t v) {
    auto* a = p->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void set_float(onnx::NodeProto* p, const std::string& name, double v) {
    auto* a = p->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(static_cast<float>(v));
  }
  // The exact double behind a float32 attribute or initializer, where needed.
  static void hint_double(onnx::NodeProto* p, const std::string& key, double v) {
    if (fmtx::exact_double(static_cast<float>(v)) == v) return;
    std::string doc = p->doc_string();
    fmtx::add_hint(doc, key, fmt::format("{}", v));
    p->set_doc_string(doc);
  }
  // Where ONNX got another name than ours, the importer takes ours from the hint.
  template <typename Proto>
  void hint_name(Proto* p, const Node& n) {
    if (value_[n.id] == n.name) return;
    std::string doc = p->doc_string();
    fmtx::add_hint(doc, "name", n.name);
    p->set_doc_string(doc);
  }

  static void add_value_info(onnx::ValueInfoProto* v, const std::string& name,
                             const std::vector<int64_t>& shape) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* s = tt->mutable_shape();
    for (int64_t d : shape) s->add_dim()->set_dim_value(d);
  }

  const std::string& in(const Node& n, size_t k) const { return value_[n.inputs.at(k)]; }
  const std::vector<int64_t>& shape_of(const Node& n, size_t k) const {
    return g_.node(n.inputs.at(k)).shape;
  }

  std::string transpose(const Node& n, const std::string& x, const std::vector<int64_t>& perm,
                        const std::string& suffix) {
    const std::string out = helper(n, suffix);
    set_ints(add_node("Transpose", {x}, out, out), "perm", perm);
    return out;
  }

  // An NHWC image op: its ONNX (NCHW) node reads a transposed input and its output is
  // transposed back to our value. Returns the node, whose output the caller names.
  onnx::NodeProto* image_op(const Node& n, ops::Layout layout, const std::string& op,
                            std::vector<std::string> inputs) {
    if (layout == ops::Layout::NCHW) return add_node(op, inputs, value_[n.id], value_[n.id]);
    inputs[0] = transpose(n, inputs[0], {0, 3, 1, 2}, "to_nchw");
    const std::string nchw = helper(n, "nchw");
    onnx::NodeProto* p = add_node(op, inputs, nchw, value_[n.id]);
    const std::string back = value_[n.id] + "/to_nhwc";
    set_ints(add_node("Transpose", {nchw}, value_[n.id], back), "perm", {0, 2, 3, 1});
    return p;
  }

  static std::vector<int64_t> pads(const ops::Padding2D& p) { return {p[0], p[1], p[2], p[3]}; }

  void emit(const Node& n) {
    const graph::NodeAttrs& a = n.attrs;
    const std::string& out = value_[n.id];
    switch (n.op) {
      case OpType::Input: {
        auto* v = gp_->add_input();
        add_value_info(v, out, n.shape);
        hint_name(v, n);
        return;
      }
      case OpType::Constant: {
        const auto value = g_.constant_value(n.id);
        add_float_init(out, n.shape, value->data(), value->size());
        hint_name(gp_->mutable_initializer(gp_->initializer_size() - 1), n);
        return;
      }
      default:
        break;
    }
    onnx::NodeProto* p = nullptr;  // the node that carries our name
    switch (n.op) {
      case OpType::Input:
      case OpType::Constant:
        break;
      case OpType::Conv2D: {
        const auto& w = shape_of(n, 1);
        const bool nhwc = a.conv.layout == ops::Layout::NHWC;
        std::string weight = in(n, 1);
        if (nhwc) weight = transpose(n, weight, {3, 2, 0, 1}, "weight_oihw");
        p = image_op(n, a.conv.layout, "Conv", {in(n, 0), weight});
        set_ints(p, "kernel_shape",
                 nhwc ? std::vector<int64_t>{w[0], w[1]} : std::vector<int64_t>{w[2], w[3]});
        set_ints(p, "strides", {a.conv.stride[0], a.conv.stride[1]});
        set_ints(p, "pads", pads(a.conv.padding));
        set_ints(p, "dilations", {a.conv.dilation[0], a.conv.dilation[1]});
        set_int(p, "group", a.conv.groups);
        break;
      }
      case OpType::MaxPool2D:
      case OpType::AvgPool2D: {
        const bool avg = n.op == OpType::AvgPool2D;
        p = image_op(n, a.pool.layout, avg ? "AveragePool" : "MaxPool", {in(n, 0)});
        set_ints(p, "kernel_shape", {a.pool.kernel[0], a.pool.kernel[1]});
        set_ints(p, "strides", {a.pool.stride[0], a.pool.stride[1]});
        set_ints(p, "pads", pads(a.pool.padding));
        if (avg) set_int(p, "count_include_pad", a.pool.count_include_pad ? 1 : 0);
        break;
      }
      case OpType::GlobalAvgPool2D:
        p = image_op(n, a.layout, "GlobalAveragePool", {in(n, 0)});
        break;
      case OpType::Dense: {
        std::vector<std::string> inputs = {in(n, 0), in(n, 1)};
        if (n.inputs.size() > 2) inputs.push_back(in(n, 2));
        p = add_node("Gemm", inputs, out, out);
        set_int(p, "transB", 1);
        break;
      }
      case OpType::BatchMatmul:
        p = add_node("MatMul", {in(n, 0), transpose(n, in(n, 1), {0, 2, 1}, "b_transposed")}, out,
                     out);
        break;
      case OpType::Softmax:
        p = add_node("Softmax", {in(n, 0)}, out, out);
        set_int(p, "axis", a.axis);
        break;
      case OpType::LayerNorm:
        p = add_node("LayerNormalization", {in(n, 0), in(n, 1), in(n, 2)}, out, out);
        set_int(p, "axis", -1);
        set_float(p, "epsilon", a.epsilon);
        hint_double(p, "epsilon", a.epsilon);
        break;
      case OpType::Relu6:
        p = add_node("Clip", {in(n, 0), add_scalar(n, "min", 0), add_scalar(n, "max", 6)}, out,
                     out);
        p->set_doc_string("bcd.op=relu6");
        break;
      case OpType::Clip:
        p = add_node("Clip",
                     {in(n, 0), add_scalar(n, "min", static_cast<float>(a.clip_lo)),
                      add_scalar(n, "max", static_cast<float>(a.clip_hi))},
                     out, out);
        hint_double(p, "clip_lo", a.clip_lo);
        hint_double(p, "clip_hi", a.clip_hi);
        break;
      case OpType::Gelu: {
        // 0.5 * x * (1 + erf(x / sqrt(2))), in the order the importer matches.
        const std::string div = helper(n, "div");
        p = add_node("Div", {in(n, 0), add_scalar(n, "sqrt2", static_cast<float>(M_SQRT2))}, div,
                     out);
        const std::string erf = helper(n, "erf");
        add_node("Erf", {div}, erf, erf);
        const std::string plus = helper(n, "plus1");
        add_node("Add", {erf, add_scalar(n, "one", 1.0f)}, plus, plus);
        const std::string mul = helper(n, "times_x");
        add_node("Mul", {in(n, 0), plus}, mul, mul);
        add_node("Mul", {mul, add_scalar(n, "half", 0.5f)}, out, out + "/half");
        break;
      }
      case OpType::BiasAdd: {
        const auto rank = static_cast<int64_t>(n.shape.size());
        std::vector<int64_t> target(static_cast<size_t>(rank - a.axis), 1);
        target[0] = shape_of(n, 1).at(0);
        const std::string shaped = helper(n, "bias");
        add_node("Reshape", {in(n, 1), add_int64_init(helper(n, "bias_shape"), target)}, shaped,
                 shaped);
        p = add_node("Add", {in(n, 0), shaped}, out, out);
        break;
      }
      case OpType::BatchNorm:
        p = batch_norm(n);
        break;
      case OpType::Pad: {
        std::vector<int64_t> pv = a.pad.before;
        pv.insert(pv.end(), a.pad.after.begin(), a.pad.after.end());
        p = add_node("Pad",
                     {in(n, 0), add_int64_init(helper(n, "pads"), pv),
                      add_scalar(n, "value", static_cast<float>(a.pad.value))},
                     out, out);
        hint_double(p, "pad_value", a.pad.value);
        if (a.pad.mode != ops::PadMode::Constant) set_string(p, "mode", ops::pad_mode_name(a.pad.mode));
        break;
      }
      case OpType::Concat: {
        std::vector<std::string> inputs;
        for (size_t k = 0; k < n.inputs.size(); ++k) inputs.push_back(in(n, k));
        p = add_node("Concat", inputs, out, out);
        set_int(p, "axis", a.axis);
        break;
      }
      case OpType::Resize: {
        p = add_node("Resize", {in(n, 0), "", "", add_int64_init(helper(n, "sizes"), a.resize.out_shape)}, out, out);
        set_string(p, "mode", a.resize.mode == ops::ResizeMode::Linear ? "linear" : "nearest");
        set_string(p, "coordinate_transformation_mode", ops::resize_coordinates_name(a.resize.coordinates));
        set_string(p, "nearest_mode", ops::nearest_rounding_name(a.resize.rounding));
        break;
      }
      case OpType::Reduce: {
        static const char* names[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL2"};
        const char* op = names[static_cast<size_t>(a.reduce.kind)];
        // At opset 17 ReduceSum takes its axes as an input, the others as an attribute.
        if (a.reduce.kind == ops::ReduceKind::Sum) {
          p = add_node(op, {in(n, 0), add_int64_init(helper(n, "axes"), a.reduce.axes)}, out, out);
        } else {
          p = add_node(op, {in(n, 0)}, out, out);
          set_ints(p, "axes", a.reduce.axes);
        }
        set_int(p, "keepdims", a.reduce.keepdims ? 1 : 0);
        break;
      }
      case OpType::Slice: {
        std::vector<int64_t> starts, ends, axes, steps;
        for (size_t d = 0; d < n.shape.size(); ++d) {
          const int64_t end = a.slice.begin[d] + a.slice.extent[d] * a.slice.step[d];
          starts.push_back(a.slice.begin[d]);
          // Going backward past the first element: an end below -dim clamps to -1.
          ends.push_back(end < 0 ? std::numeric_limits<int64_t>::min() : end);
          axes.push_back(static_cast<int64_t>(d));
          steps.push_back(a.slice.step[d]);
        }
        p = add_node("Slice",
                     {in(n, 0), add_int64_init(helper(n, "starts"), starts), add_int64_init(helper(n, "ends"), ends),
                      add_int64_init(helper(n, "axes"), axes), add_int64_init(helper(n, "steps"), steps)},
                     out, out);
        break;
      }
      case OpType::Reshape:
        p = add_node("Reshape", {in(n, 0), add_int64_init(helper(n, "shape"), n.shape)}, out, out);
        p->set_doc_string("bcd.op=reshape");
        break;
      case OpType::Flatten:
        p = add_node("Flatten", {in(n, 0)}, out, out);
        set_int(p, "axis", a.axis);
        break;
      case OpType::Transpose:
        p = add_node("Transpose", {in(n, 0)}, out, out);
        set_ints(p, "perm", a.axes);
        p->set_doc_string("bcd.op=transpose");
        break;
      default:
        if (const auto* pw = fmtx::pointwise_by_op(n.op)) {
          std::vector<std::string> ins;
          for (int k = 0; k < pw->inputs; ++k) ins.push_back(in(n, k));
          p = add_node(pw->onnx, ins, out, out);
        }
        break;
    }
    if (!p) fail("onnx export: node '{}' ({}) has no ONNX form", n.name, graph::op_name(n.op));
    hint_name(p, n);
  }

  // ONNX's batch norm normalizes axis 1 with running statistics: ours (x * scale +
  // shift) is that with mean 0, variance 1 and epsilon 0, exactly. Another axis is
  // moved to position 1 and back.
  onnx::NodeProto* batch_norm(const Node& n) {
    const auto rank = static_cast<int64_t>(n.shape.size());
    const int64_t axis = n.attrs.axis, c = n.shape.at(axis);
    if (rank < 2) fail("onnx export: node '{}' (batch_norm): rank-1 data has no ONNX form", n.name);
    const std::vector<float> zeros(c, 0.0f), ones(c, 1.0f);
    const std::string mean = add_float_init(helper(n, "mean"), {c}, zeros.data(), c);
    const std::string var = add_float_init(helper(n, "var"), {c}, ones.data(), c);
    onnx::NodeProto* p = nullptr;
    if (axis == 1) {
      p = add_node("BatchNormalization", {in(n, 0), in(n, 1), in(n, 2), mean, var}, value_[n.id],
                   value_[n.id]);
    } else {
      std::vector<int64_t> perm;  // [first other axis, axis, the rest]
      for (int64_t d = 0; d < rank; ++d)
        if (d != axis) perm.push_back(d);
      perm.insert(perm.begin() + 1, axis);
      std::vector<int64_t> inverse(perm.size());
      for (size_t k = 0; k < perm.size(); ++k) inverse[perm[k]] = static_cast<int64_t>(k);
      const std::string x = transpose(n, in(n, 0), perm, "to_axis1");
      const std::string moved = helper(n, "axis1");
      p = add_node("BatchNormalization", {x, in(n, 1), in(n, 2), mean, var}, moved, value_[n.id]);
      set_ints(add_node("Transpose", {moved}, value_[n.id], value_[n.id] + "/back"), "perm",
               inverse);
    }
    set_float(p, "epsilon", 0.0);
    return p;
  }

  const graph::Graph& g_;
  onnx::ModelProto model_;
  onnx::GraphProto* gp_ = nullptr;
  std::vector<std::string> value_;  // per node id
  std::set<std::string> used_;
};

}  // namespace

bool onnx_available() { return true; }

std::string export_onnx_bytes(const graph::Graph& graph) {
  onnx::ModelProto model = Writer(graph).write();
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    fail("onnx export: the model does not serialize (ONNX files are limited to 2 GiB)");
  return bytes;
}

void export_onnx(const graph::Graph& graph, const std::string& path) {
  onnx::ModelProto model = Writer(graph).write();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail("onnx export: cannot write '{}'", path);
  if (!model.SerializeToOstream(&out) || !out.flush())
    fail("onnx export: writing '{}' failed (disk full, or over ONNX's 2 GiB limit)", path);
}

#else  // no libonnx-dev / libprotobuf-dev at build time

bool onnx_available() { return false; }

std::string export_onnx_bytes(const graph::Graph&) {
  fail(
      "onnx export: this bcd was built without ONNX support (install libonnx-dev and "
      "libprotobuf-dev, then rebuild)");
}

void export_onnx(const graph::Graph& graph, const std::string&) { export_onnx_bytes(graph); }

#endif

}  // namespace bcd::frontends
