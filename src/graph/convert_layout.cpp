#include "graph/convert_layout.h"

#include <algorithm>
#include <map>
#include <optional>

#include "ops/reference.h"

namespace bcd::graph {

namespace {

const std::vector<int64_t> kToNhwc = {0, 2, 3, 1};
const std::vector<int64_t> kToNchw = {0, 3, 1, 2};
const std::vector<int64_t> kOihwToHwio = {2, 3, 1, 0};

class NhwcConverter {
 public:
  explicit NhwcConverter(const Graph& g) : g_(g) {}

  Graph run() {
    for (const Node& n : g_.nodes()) convert(n);
    for (int o : g_.outputs()) out_.mark_output(native(o));
    return std::move(out_);
  }

 private:
  // Where an original value lives in the new graph: in its own layout, and (4-D
  // values only) transposed to NHWC; either made on first demand.
  struct Value {
    std::optional<int> native, nhwc;
    bool made_nhwc = false;  // computed in NHWC (a converted operator's output)
  };

  bool is_4d(int id) const { return g_.node(id).shape.size() == 4; }
  bool made_nhwc(int id) const { return values_.count(id) && values_.at(id).made_nhwc; }
  // One element broadcasts alike in every layout.
  bool is_scalar(int id) const { return shape_size(g_.node(id).shape) == 1; }
  bool any_made_nhwc(const Node& n) const {
    return std::any_of(n.inputs.begin(), n.inputs.end(), [&](int i) { return made_nhwc(i); });
  }

  int add_transpose(int input, const std::vector<int64_t>& axes, const std::string& name) {
    NodeAttrs a;
    a.axes = axes;
    return out_.add_op(OpType::Transpose, {input}, a, name);
  }

  // Constant `id` with its values transposed by `axes` (made now: the weights of a
  // converted network are read once, at this point, instead of at first use).
  int transposed_constant(int id, const std::vector<int64_t>& axes, const std::string& suffix) {
    const Node& n = g_.node(id);
    return out_.add_constant(n.name + suffix, ops::ref::transpose(*g_.constant_value(id), axes));
  }

  int native(int id) {
    Value& v = values_[id];
    if (v.native) return *v.native;
    const Node& n = g_.node(id);
    if (n.op == OpType::Constant) {
      v.native = n.value ? out_.add_constant(n.name, n.value) : out_.add_constant(n.name, n.shape, n.init);
    } else {
      // Only computed values can be missing in their own layout: they were made in NHWC.
      v.native = add_transpose(*v.nhwc, kToNchw, n.name + "_to_nchw");
    }
    return *v.native;
  }

  int nhwc(int id) {
    Value& v = values_[id];
    if (v.nhwc) return *v.nhwc;
    const Node& n = g_.node(id);
    v.nhwc = n.op == OpType::Constant ? transposed_constant(id, kToNhwc, "_nhwc")
                                      : add_transpose(native(id), kToNhwc, n.name + "_to_nhwc");
    return *v.nhwc;
  }

  void keep(const Node& n) {
    std::vector<int> in;
    for (int i : n.inputs) in.push_back(native(i));
    values_[n.id].native = out_.add_op(n.op, in, n.attrs, n.name);
  }

  void to_nhwc(const Node& n, std::vector<int> in, NodeAttrs a) {
    Value& v = values_[n.id];
    v.nhwc = out_.add_op(n.op, in, a, n.name);
    v.made_nhwc = true;
  }

  void convert(const Node& n) {
    if (n.op == OpType::Constant) return;  // made where used: in its layout, or transposed
    if (n.op == OpType::Input) {
      values_[n.id].native = out_.add_input(n.name, n.shape);
      return;
    }
    NodeAttrs a = n.attrs;
    const int in0 = n.inputs.at(0);
    switch (n.op) {
      case OpType::Conv2D: {
        if (a.conv.layout != ops::Layout::NCHW) break;
        a.conv.layout = ops::Layout::NHWC;
        const int w = n.inputs[1];
        const int weight = g_.node(w).op == OpType::Constant
                               ? transposed_constant(w, kOihwToHwio, "_hwio")
                               : add_transpose(native(w), kOihwToHwio, g_.node(w).name + "_to_hwio");
        return to_nhwc(n, {nhwc(in0), weight}, a);
      }
      case OpType::MaxPool2D:
      case OpType::AvgPool2D:
        if (a.pool.layout != ops::Layout::NCHW) break;
        a.pool.layout = ops::Layout::NHWC;
        return to_nhwc(n, {nhwc(in0)}, a);
      case OpType::GlobalAvgPool2D:
        if (a.layout != ops::Layout::NCHW) break;
        a.layout = ops::Layout::NHWC;
        return to_nhwc(n, {nhwc(in0)}, a);
      case OpType::BiasAdd:
      case OpType::BatchNorm: {
        // Per-channel vectors along axis 1 of an NHWC value: along axis 3 instead.
        if (!made_nhwc(in0) || !is_4d(in0) || a.axis != 1) break;
        a.axis = 3;
        std::vector<int> in = {nhwc(in0)};
        for (size_t k = 1; k < n.inputs.size(); ++k) in.push_back(native(n.inputs[k]));
        return to_nhwc(n, in, a);
      }
      case OpType::Concat: {
        const bool all_4d = std::all_of(n.inputs.begin(), n.inputs.end(), [&](int i) { return is_4d(i); });
        if (!any_made_nhwc(n) || !all_4d) break;
        a.axis = kToNchw[a.axis];  // where the original axis is in NHWC
        std::vector<int> in;
        for (int i : n.inputs) in.push_back(nhwc(i));
        return to_nhwc(n, in, a);
      }
      default: {
        // The other elementwise operators compute each element from the same element
        // of their inputs (or of their broadcasts), in any layout every input shares.
        // Broadcasting lines up trailing dimensions: every input must be 4-D, and
        // transposed alike, or a single element.
        if (op_class(n.op) != OpClass::Elementwise) break;
        const bool fits = std::all_of(n.inputs.begin(), n.inputs.end(), [&](int i) { return is_4d(i) || is_scalar(i); });
        if (!any_made_nhwc(n) || !fits) break;
        std::vector<int> in;
        for (int i : n.inputs) in.push_back(is_scalar(i) ? native(i) : nhwc(i));
        return to_nhwc(n, in, a);
      }
    }
    keep(n);
  }

  const Graph& g_;
  Graph out_;
  std::map<int, Value> values_;
};

}  // namespace

bool has_nchw_image_operators(const Graph& g) {
  return std::any_of(g.nodes().begin(), g.nodes().end(), [](const Node& n) {
    switch (n.op) {
      case OpType::Conv2D: return n.attrs.conv.layout == ops::Layout::NCHW;
      case OpType::MaxPool2D:
      case OpType::AvgPool2D: return n.attrs.pool.layout == ops::Layout::NCHW;
      case OpType::GlobalAvgPool2D: return n.attrs.layout == ops::Layout::NCHW;
      default: return false;
    }
  });
}

Graph convert_to_nhwc(const Graph& g) { return NhwcConverter(g).run(); }

}  // namespace bcd::graph
