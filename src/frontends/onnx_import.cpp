// The ONNX importer: a ModelProto -> our graph, node by node in the file's
// (topological) order. Operators (default domain; opset 7 and later):
//
//   Conv (2-D; groups, strides, pads, auto_pad, dilations; a bias input becomes a
//   bias_add), Gemm (transA/transB; alpha = beta = 1), MatMul (2-D with a constant
//   or transposed right side -> dense; 3-D -> batch_matmul), MaxPool, AveragePool
//   (ceil_mode: the overhanging window is end padding), GlobalAveragePool, Clip,
//   Gelu (native, opset 20 or com.microsoft, or the Erf pattern Div/Erf/Add/Mul/Mul,
//   its constants wherever the file puts them), the one-node pointwise operators of
//   onnx_pointwise.h (Relu, Sigmoid, Tanh, Sqrt, Exp, Log, Erf, Abs, Neg, Reciprocal,
//   Add, Sub, Mul, Div, Pow; numpy broadcasting, 0-d constants included),
//   BatchNormalization (folded into x * scale + shift), Softmax, LayerNormalization
//   (last axis), Concat, Reshape, Flatten, Transpose, Pad (constant, reflect, edge),
//   Squeeze, Unsqueeze, Constant, Cast to float, Identity / Dropout as no-ops, and
//   more (import_node's table): reductions, Slice, Split, Gather at constant indices,
//   Resize / Upsample (nearest, linear), and activations composed of our ops.
//   Shape arithmetic on values known at import is folded (onnx_import_fold.cpp).
//
// A node that fails defines nothing, nodes reading what it would have made are
// skipped, and the import goes on: the error lists every distinct problem once.
//
// Initializers and Constant outputs are constant tensors until a node needs them as
// data: then they become graph constants, just before that node (so the weights of
// a layer sit next to it, as in the zoo). Transposes, Reshapes, Squeezes and
// Unsqueezes of constants are folded. A Transpose of data that only layout-aware
// consumers read is kept as a "view" instead of a node: a Conv or pooling op reading
// NHWC data through Transpose(0,3,1,2) becomes the NHWC op, and a MatMul reading
// Transpose(0,2,1) of its right side becomes batch_matmul without the transpose (our
// batch_matmul multiplies by the transposed right side). That is how the writer's
// forms (onnx_export.cpp) come back as the same nodes; a bias reshaped from a 1-D
// constant and then added is a bias_add.
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "frontends/onnx.h"
#include "support/error.h"

#ifdef BCD_HAVE_ONNX
#include "frontends/onnx_importer.h"
#include "ops/shape_util.h"
#endif

#ifdef BCD_HAVE_ONNX

namespace bcd::frontends::onnx_detail {

bool is_identity(const Shape& perm) {
  for (size_t k = 0; k < perm.size(); ++k)
    if (perm[k] != static_cast<int64_t>(k)) return false;
  return true;
}

Shape compose(const Shape& p, const Shape& q) {
  Shape r(q.size());
  for (size_t k = 0; k < q.size(); ++k) r[k] = p.at(static_cast<size_t>(q[k]));
  return r;
}

Shape permuted(const Shape& s, const Shape& perm) {
  Shape r;
  for (int64_t p : perm) r.push_back(s.at(static_cast<size_t>(p)));
  return r;
}

std::string dims(const Shape& s) { return shape_string(s); }

std::string type_name(int t) {
  return onnx::TensorProto_DataType_IsValid(t)
             ? onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(t))
             : fmt::format("{} (invalid)", t);
}

ConstPtr to_const(onnx::TensorProto& t, const std::string& name) {
  auto c = std::make_shared<Const>();
  c->name = name;
  // Counted in 128 bits and checked against the data present before anything is
  // allocated: a hostile file must not make us allocate what it does not hold.
  unsigned __int128 declared = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) fail("tensor '{}' has a negative dimension", t.name());
    c->shape.push_back(d);
    declared *= static_cast<unsigned __int128>(d);
    if (declared > (unsigned __int128)1 << 40) fail("tensor '{}' of shape {} is too large", t.name(), dims(c->shape));
  }
  const auto count = static_cast<int64_t>(declared);
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    c->unusable =
        fmt::format("tensor '{}' keeps its data in an external file (not supported)", t.name());
    return c;
  }
  const bool raw = t.has_raw_data();
  auto check_count = [&](int64_t got) {
    if (got != count)
      fail("tensor '{}' of shape {} holds {} values, expected {}", t.name(), dims(c->shape), got,
           count);
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: {
      if (raw && t.raw_data().size() % sizeof(float))
        fail("tensor '{}': raw data size is not a multiple of 4", t.name());
      check_count(raw ? static_cast<int64_t>(t.raw_data().size() / sizeof(float)) : t.float_data_size());
      auto f = std::make_shared<NDArray>(c->shape);
      if (raw) {
        std::memcpy(f->data(), t.raw_data().data(), t.raw_data().size());
        std::string().swap(*t.mutable_raw_data());
      } else {
        std::copy(t.float_data().begin(), t.float_data().end(), f->data());
        google::protobuf::RepeatedField<float>().Swap(t.mutable_float_data());
      }
      c->f = std::move(f);
      break;
    }
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32: {
      std::vector<int64_t> v;
      if (raw) {
        const size_t width = t.data_type() == onnx::TensorProto::INT64 ? 8 : 4;
        check_count(static_cast<int64_t>(t.raw_data().size() / width));
        for (int64_t k = 0; k < count; ++k) {
          if (width == 8) {
            int64_t x;
            std::memcpy(&x, t.raw_data().data() + k * 8, 8);
            v.push_back(x);
          } else {
            int32_t x;
            std::memcpy(&x, t.raw_data().data() + k * 4, 4);
            v.push_back(x);
          }
        }
      } else if (t.data_type() == onnx::TensorProto::INT64) {
        check_count(t.int64_data_size());
        v.assign(t.int64_data().begin(), t.int64_data().end());
      } else {
        check_count(t.int32_data_size());
        v.assign(t.int32_data().begin(), t.int32_data().end());
      }
      c->i = std::make_shared<const std::vector<int64_t>>(std::move(v));
      break;
    }
    default:
      c->unusable = fmt::format(
          "tensor '{}' has element type {} (only float32, and int64/int32 for shapes, are "
          "supported)",
          t.name(), type_name(t.data_type()));
  }
  return c;
}

void ImportProblems::add(const std::string& problem, const std::string& where) {
  for (Problem& p : problems_)
    if (p.what == problem) {
      ++p.count;
      return;
    }
  problems_.push_back({problem, where, 1});
}

bool ImportProblems::mention(const std::string& text) const {
  for (const Problem& p : problems_)
    if (p.what.find(text) != std::string::npos) return true;
  return false;
}

std::string ImportProblems::report() const {
  if (problems_.size() == 1) {
    const Problem& p = problems_[0];
    return fmt::format("{}: {}{}", p.where, p.what, p.count > 1 ? fmt::format(" ({} nodes in all)", p.count) : "");
  }
  std::string out = fmt::format("{} problems:", problems_.size());
  for (size_t k = 0; k < problems_.size(); ++k)
    out += fmt::format("{} {}", k ? ";" : "", problems_[k].what);
  for (const Problem& p : problems_) {
    out += fmt::format("\n  {} (first at {}", p.what, p.where);
    out += p.count > 1 ? fmt::format("; {} nodes in all)", p.count) : ")";
  }
  return out;
}

graph::Graph Importer::run() {
  if (!model_.has_graph()) fail("{}: not an ONNX model (it has no graph)", what_);
  read_opset();
  onnx::GraphProto& gp = *model_.mutable_graph();
  for (onnx::TensorProto& t : *gp.mutable_initializer()) {
    try {
      define(t.name(), Value::of_const(to_const(t, hinted_name(t.doc_string(), t.name()))));
    } catch (const Error& e) {
      fail("{}: initializer '{}': {}", what_, t.name(), e.what());
    }
  }
  for (const onnx::ValueInfoProto& in : gp.input())
    if (!values_.count(in.name())) add_input(in);
  for (const auto& [name, shape] : shapes_)
    if (!bound_.count(name)) {
      std::string inputs;
      for (const onnx::ValueInfoProto& in : gp.input())
        if (!values_.count(in.name()) || values_.at(in.name()).kind == Value::Kind::Node)
          inputs += (inputs.empty() ? "" : ", ") + in.name();
      fail("{}: --input-shape names '{}', which is not a graph input (inputs: {})", what_, name, inputs);
    }
  for (int i = 0; i < gp.node_size(); ++i)
    for (int k = 0; k < gp.node(i).input_size(); ++k)
      if (!gp.node(i).input(k).empty()) uses_[gp.node(i).input(k)].push_back({i, k});
  for (const onnx::ValueInfoProto& out : gp.output()) outputs_.insert(out.name());
  for (const auto& [name, uses] : uses_) remaining_[name] = static_cast<int>(uses.size());
  for (int i = 0; i < gp.node_size(); ++i)
    for (const std::string& out : gp.node(i).output()) producer_.emplace(out, i);
  skip_.assign(gp.node_size(), false);
  // Every problem of the model at once: a node that fails (or reads what a failed
  // node would have made) defines nothing, and the import goes on to the next.
  ImportProblems problems;
  std::set<std::string> lost;  // values of failed nodes
  for (int i = 0; i < gp.node_size(); ++i) {
    if (skip_[i]) continue;
    const NodeProto& n = gp.node(i);
    bool blocked = false;
    for (const std::string& in : n.input()) blocked = blocked || lost.count(in) > 0;
    if (!blocked) {
      try {
        import_node(i, n);
        release_inputs(n);
        continue;
      } catch (const Error& e) {
        problems.add(e.what(), fmt::format("node '{}' ({})", display_name(n), n.op_type()));
      }
    }
    for (const std::string& out : n.output()) lost.insert(out);
  }
  if (!problems.empty()) {
    const bool unsupported = problems.mention("unsupported operator");
    const std::string supported = "supported operators: " + supported_operators();
    fail("{}: {}{}", what_, problems.report(),
         !unsupported ? "" : problems.size() == 1 ? " (" + supported + ")" : "\n  " + supported);
  }
  if (gp.output_size() == 0) fail("{}: the graph has no outputs", what_);
  for (const onnx::ValueInfoProto& out : gp.output()) {
    auto it = values_.find(out.name());
    if (it == values_.end())
      fail("{}: graph output '{}' is not produced by any node", what_, out.name());
    try {
      g_.mark_output(realize(it->second, out.name()));
    } catch (const Error& e) {
      fail("{}: graph output '{}': {}", what_, out.name(), e.what());
    }
  }
  return std::move(g_);
}

void Importer::read_opset() {
  // IR versions 3 (opset imports) to 10 (ONNX 1.16); later ones may change what a
  // field means, so they are refused rather than misread.
  if (model_.ir_version() != 0 && (model_.ir_version() < 3 || model_.ir_version() > 10))
    fail("{}: ir_version {} is not one bcd reads (3 to 10)", what_, model_.ir_version());
  opset_ = fmtx::kOpset;  // a model without opset_import: assume a current one
  for (const auto& o : model_.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = o.version();
  // Opsets up to 23 (ONNX 1.18) are known; a later one may redefine an operator, so
  // it is refused rather than misread. Old ones are fine: a model may declare
  // opset 1 when its operators' current versions are that old (GlobalAveragePool).
  if (opset_ < 1 || opset_ > 23) fail("{}: default-domain opset {} is not one bcd reads (1 to 23)", what_, opset_);
}

std::string Importer::hinted_name(const std::string& doc, const std::string& fallback) {
  auto hints = fmtx::parse_hints(doc);
  auto it = hints.find("name");
  return it != hints.end() ? it->second : fallback;
}

void Importer::add_input(const onnx::ValueInfoProto& in) {
  const std::string name = hinted_name(in.doc_string(), in.name());
  if (!in.type().has_tensor_type()) fail("{}: graph input '{}' is not a tensor", what_, in.name());
  const auto& tt = in.type().tensor_type();
  if (tt.elem_type() != onnx::TensorProto::FLOAT)
    fail("{}: graph input '{}' has element type {} (only float32 inputs are supported)", what_,
         in.name(), type_name(tt.elem_type()));
  auto bound = shapes_.find(in.name());
  if (bound != shapes_.end()) bound_.insert(in.name());
  if (!tt.has_shape()) {
    if (bound == shapes_.end())
      fail("{}: graph input '{}' has no shape; give it with --input-shape {}=DIMS", what_, in.name(), in.name());
    return define(in.name(), Value::of_node(g_.add_input(name, bound->second)));
  }
  const int rank = tt.shape().dim_size();
  if (bound != shapes_.end() && static_cast<int>(bound->second.size()) != rank)
    fail("{}: --input-shape {}={} has {} dimensions, the input has {}", what_, in.name(), dims(bound->second),
         bound->second.size(), rank);
  // What to suggest: the file's fixed dimensions, 1 for each dynamic one.
  std::string example;
  for (int d = 0; d < rank; ++d) {
    const auto& dim = tt.shape().dim(d);
    example += fmt::format("{}{}", d ? "x" : "", dim.has_dim_value() && dim.dim_value() > 0 ? dim.dim_value() : 1);
  }
  Shape shape;
  for (int d = 0; d < rank; ++d) {
    const auto& dim = tt.shape().dim(d);
    if (!dim.has_dim_value()) {
      if (bound == shapes_.end())
        fail("{}: graph input '{}' has a dynamic dimension {} ('{}'); bind it with --input-shape {}={}", what_,
             in.name(), d, dim.dim_param(), in.name(), example);
      shape.push_back(bound->second[static_cast<size_t>(d)]);
      continue;
    }
    if (dim.dim_value() <= 0)
      fail("{}: graph input '{}' has dimension {} of size {}", what_, in.name(), d,
           dim.dim_value());
    if (bound != shapes_.end() && bound->second[static_cast<size_t>(d)] != dim.dim_value())
      fail("{}: --input-shape {}={} sets dimension {} to {}, but the model fixes it at {}", what_, in.name(),
           dims(bound->second), d, bound->second[static_cast<size_t>(d)], dim.dim_value());
    shape.push_back(dim.dim_value());
  }
  // A 0-d input is a 1-element tensor: bcd's tensors have rank >= 1, and [1]
  // broadcasts exactly as [] does.
  if (shape.empty()) shape = {1};
  define(in.name(), Value::of_node(g_.add_input(name, shape)));
}

void Importer::define(const std::string& name, Value v) {
  if (name.empty()) return;
  if (values_.count(name)) fail("value '{}' is defined twice", name);
  values_[name] = std::move(v);
}

void Importer::release_inputs(const NodeProto& n) {
  for (const std::string& in : n.input()) {
    if (in.empty()) continue;
    auto it = remaining_.find(in);
    if (it != remaining_.end() && --it->second == 0 && !outputs_.count(in)) values_.erase(in);
  }
}

std::string Importer::display_name(const NodeProto& n) const {
  if (!n.name().empty()) return n.name();
  return n.output_size() > 0 ? n.output(0) : std::string("?");
}

std::string Importer::node_name(const NodeProto& n) const {
  return hinted_name(n.doc_string(), display_name(n));
}

bool Importer::has_input(const NodeProto& n, int k) const {
  return k < n.input_size() && !n.input(k).empty();
}

const Value& Importer::input(const NodeProto& n, int k) const {
  if (!has_input(n, k)) fail("input {} is missing", k);
  auto it = values_.find(n.input(k));
  if (it == values_.end())
    fail("input '{}' is not defined by an earlier node, an initializer or a graph input",
         n.input(k));
  return it->second;
}

void Importer::expect_inputs(const NodeProto& n, int lo, int hi) const {
  int count = 0;
  for (int k = 0; k < n.input_size(); ++k) count = n.input(k).empty() ? count : k + 1;
  if (count < lo || count > hi) {
    if (lo == hi) fail("expected {} inputs, got {}", lo, count);
    fail("expected {} to {} inputs, got {}", lo, hi, count);
  }
  for (int k = 0; k < lo; ++k) input(n, k);  // required ones are defined
}

void Importer::only_first_output(const NodeProto& n) const {
  for (int k = 1; k < n.output_size(); ++k)
    if (!n.output(k).empty() && (uses_.count(n.output(k)) || outputs_.count(n.output(k))))
      fail("output {} ('{}') is used, but only the first output is supported", k, n.output(k));
}

void Importer::set_output(const NodeProto& n, Value v) {
  if (n.output_size() == 0) fail("the node has no output");
  define(n.output(0), std::move(v));
}

Shape Importer::shape_of(const Value& v) const {
  switch (v.kind) {
    case Value::Kind::Node:
      return g_.node(v.node).shape;
    case Value::Kind::Const:
      return v.c->shape;
    case Value::Kind::View:
      return permuted(g_.node(v.node).shape, v.perm);
  }
  return {};
}

const NDArray& Importer::float_data(const Const& c) const {
  if (!c.unusable.empty()) fail("{}", c.unusable);
  if (!c.f) fail("tensor '{}' is not float32", c.name);
  return *c.f;
}

const std::vector<int64_t>& Importer::int_data(const Const& c, const std::string& what) const {
  if (!c.unusable.empty()) fail("{}", c.unusable);
  if (!c.i) fail("{} '{}' must be an int64 tensor", what, c.name);
  return *c.i;
}

int Importer::realize(const Value& v, const std::string& name) {
  switch (v.kind) {
    case Value::Kind::Node:
      return v.node;
    case Value::Kind::Const:
      return realize_const(*v.c);
    case Value::Kind::View: {
      if (is_identity(v.perm)) return v.node;
      NodeAttrs a;
      a.axes = v.perm;
      return g_.add_op(OpType::Transpose, {v.node}, a, name + "/transpose");
    }
  }
  return -1;
}

int Importer::realize_const(Const& c) {
  if (c.node >= 0) return c.node;
  if (!c.unusable.empty()) fail("{}", c.unusable);
  if (!c.f) fail("int64 tensor '{}' is used as data (only float32 data is supported)", c.name);
  if (c.f.use_count() == 1 && c.f->shape() == c.shape) {
    // Sole owner of an array made here (never const itself): move it, no copy.
    c.node = g_.add_constant(c.name, std::move(const_cast<NDArray&>(*c.f)));
  } else {
    NDArray a(c.shape);
    std::memcpy(a.data(), c.f->data(), a.size() * sizeof(float));
    c.node = g_.add_constant(c.name, std::move(a));
  }
  c.f = g_.constant_value(c.node);
  return c.node;
}

int Importer::in_node(const NodeProto& n, int k) { return realize(input(n, k), n.input(k)); }

ConstPtr Importer::const_input(const NodeProto& n, int k, const std::string& what) const {
  const Value& v = input(n, k);
  if (v.kind != Value::Kind::Const) fail("{} ('{}') must be a constant", what, n.input(k));
  return v.c;
}

double Importer::scalar(const Const& c, const std::string& what) const {
  if (shape_size(c.shape) != 1) fail("{} must be a scalar, got shape {}", what, dims(c.shape));
  if (c.i) return static_cast<double>(c.i->at(0));
  return fmtx::exact_double(float_data(c)[0]);
}

int Importer::add(OpType op, std::vector<int> inputs, NodeAttrs attrs, const std::string& name) {
  return g_.add_op(op, std::move(inputs), std::move(attrs), name);
}

const onnx::AttributeProto* Importer::attr(const NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

void Importer::expect_type(const onnx::AttributeProto& a, onnx::AttributeProto::AttributeType t) {
  if (a.type() != t && a.type() != onnx::AttributeProto::UNDEFINED)
    fail("attribute '{}' has type {}, expected {}", a.name(),
         onnx::AttributeProto_AttributeType_Name(a.type()),
         onnx::AttributeProto_AttributeType_Name(t));
}

int64_t Importer::attr_int(const NodeProto& n, const std::string& name, int64_t dflt) {
  const auto* a = attr(n, name);
  if (!a) return dflt;
  expect_type(*a, onnx::AttributeProto::INT);
  return a->i();
}

float Importer::attr_float(const NodeProto& n, const std::string& name, float dflt) {
  const auto* a = attr(n, name);
  if (!a) return dflt;
  expect_type(*a, onnx::AttributeProto::FLOAT);
  return a->f();
}

Shape Importer::attr_ints(const NodeProto& n, const std::string& name, Shape dflt) {
  const auto* a = attr(n, name);
  if (!a) return dflt;
  expect_type(*a, onnx::AttributeProto::INTS);
  return Shape(a->ints().begin(), a->ints().end());
}

std::string Importer::attr_string(const NodeProto& n, const std::string& name, std::string dflt) {
  const auto* a = attr(n, name);
  if (!a) return dflt;
  expect_type(*a, onnx::AttributeProto::STRING);
  return a->s();
}

double Importer::attr_double(const NodeProto& n, const std::string& name, float dflt,
                             const std::string& hint) {
  auto hints = fmtx::parse_hints(n.doc_string());
  if (auto it = hints.find(hint); it != hints.end())
    return std::strtod(it->second.c_str(), nullptr);
  return fmtx::exact_double(attr_float(n, name, dflt));
}

void Importer::expect_attr(bool ok, const std::string& name, const std::string& value,
                           const std::string& supported) {
  if (!ok) fail("unsupported attribute value {}={} ({})", name, value, supported);
}

bool Importer::absorbs(const std::string& value, const Shape& perm, int depth) const {
  if (is_identity(perm)) return true;
  if (outputs_.count(value) || depth > 64) return false;
  auto it = uses_.find(value);
  if (it == uses_.end()) return true;
  const auto& nodes = model_.graph().node();
  for (const auto& [i, slot] : it->second) {
    const NodeProto& c = nodes.Get(i);
    if (!c.domain().empty() && c.domain() != "ai.onnx") return false;
    const std::string& op = c.op_type();
    if ((op == "Identity" || op == "Dropout") && slot == 0) {
      if (c.output_size() == 0 || !absorbs(c.output(0), perm, depth + 1)) return false;
    } else if (op == "Transpose" && slot == 0) {
      if (ours(c, "transpose")) return false;
      Shape q = attr_ints(c, "perm", {});
      if (q.empty())
        for (size_t k = perm.size(); k-- > 0;) q.push_back(static_cast<int64_t>(k));
      if (q.size() != perm.size() || c.output_size() == 0) return false;
      for (int64_t x : q)
        if (x < 0 || x >= static_cast<int64_t>(perm.size())) return false;
      if (!absorbs(c.output(0), compose(perm, q), depth + 1)) return false;
    } else if ((op == "Conv" || op == "MaxPool" || op == "AveragePool" ||
                op == "GlobalAveragePool") &&
               slot == 0 && perm == kToNchw) {
    } else if (op == "BatchNormalization" && slot == 0 && perm.size() >= 2) {
    } else if (op == "MatMul" && slot == 1 && perm.size() >= 2 && perm == swap_last_two(perm.size())) {
    } else if (op == "Gemm" && slot == 1 && perm == Shape{1, 0}) {
    } else {
      return false;
    }
  }
  return true;
}

bool Importer::ours(const NodeProto& n, const std::string& op) {
  return fmtx::parse_hints(n.doc_string())["op"] == op;
}

Shape Importer::swap_last_two(size_t rank) {
  Shape p(rank);
  for (size_t k = 0; k < rank; ++k) p[k] = static_cast<int64_t>(k);
  std::swap(p[rank - 1], p[rank - 2]);
  return p;
}

void Importer::set_view_output(const NodeProto& n, int node, const Shape& perm) {
  if (absorbs(n.output(0), perm)) return set_output(n, Value::view(node, perm));
  NodeAttrs a;
  a.axes = perm;
  set_output(n, Value::of_node(add(OpType::Transpose, {node}, a, node_name(n) + "/transpose")));
}

ConstPtr Importer::permute_const(const Const& c, const NDArray* data, const Shape& perm) {
  auto r = std::make_shared<Const>();
  r->name = c.name;
  r->shape = permuted(c.shape, perm);
  r->unusable = c.unusable;
  if (!c.unusable.empty()) return r;
  const size_t rank = c.shape.size();
  Shape in_strides(rank, 1);
  for (size_t d = rank; d-- > 1;) in_strides[d - 1] = in_strides[d] * c.shape[d];
  const int64_t count = shape_size(c.shape);
  std::vector<int64_t> iv;
  std::shared_ptr<NDArray> f;
  if (data)
    f = std::make_shared<NDArray>(r->shape);
  else
    iv.resize(static_cast<size_t>(count));
  Shape idx(rank, 0);  // output multi-index
  for (int64_t o = 0; o < count; ++o) {
    int64_t src = 0;
    for (size_t d = 0; d < rank; ++d) src += idx[d] * in_strides[static_cast<size_t>(perm[d])];
    if (data)
      (*f)[o] = (*data)[src];
    else
      iv[static_cast<size_t>(o)] = c.i->at(static_cast<size_t>(src));
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < r->shape[d]) break;
      idx[d] = 0;
    }
  }
  if (data)
    r->f = std::move(f);
  else
    r->i = std::make_shared<const std::vector<int64_t>>(std::move(iv));
  return r;
}

ConstPtr Importer::transpose_const(const Const& c, const Shape& perm) const {
  return permute_const(c, c.i || !c.unusable.empty() ? nullptr : &float_data(c), perm);
}

ConstPtr Importer::reshape_const(const ConstPtr& c, const Shape& shape) {
  auto r = std::make_shared<Const>(*c);
  r->shape = shape;
  r->node = -1;
  r->from_1d = c->shape.size() == 1 && c->f ? c : c->from_1d;
  return r;
}

int Importer::transposed_node(const Value& v, const Shape& perm, const std::string& name) {
  if (v.kind == Value::Kind::Const) return realize_const(*transpose_const(*v.c, perm));
  if (v.kind == Value::Kind::View) {
    Shape p = compose(v.perm, perm);
    return realize(Value::view(v.node, p), name);
  }
  return realize(Value::view(v.node, perm), name);
}

}  // namespace bcd::frontends::onnx_detail

#endif

namespace bcd::frontends {

#ifdef BCD_HAVE_ONNX

namespace {

graph::Graph import_model(onnx::ModelProto& model, const std::string& what, const InputShapes& shapes) {
  return onnx_detail::Importer(model, what, shapes).run();
}

}  // namespace

graph::Graph import_onnx_bytes(const std::string& bytes, const std::string& what, const InputShapes& shapes) {
  if (bytes.empty()) fail("{}: empty file, not an ONNX model", what);
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    fail("{}: not an ONNX model (not a valid ModelProto protobuf)", what);
  return import_model(model, what, shapes);
}

graph::Graph import_onnx(const std::string& path, const InputShapes& shapes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open the ONNX file", path);
  in.seekg(0, std::ios::end);
  if (in.tellg() == 0) fail("{}: empty file, not an ONNX model", path);
  in.seekg(0, std::ios::beg);
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&in))
    fail("{}: not an ONNX model (not a valid ModelProto protobuf)", path);
  return import_model(model, path, shapes);
}

#else  // no libonnx-dev / libprotobuf-dev at build time

graph::Graph import_onnx_bytes(const std::string&, const std::string& what, const InputShapes&) {
  fail(
      "{}: this bcd was built without ONNX support (install libonnx-dev and libprotobuf-dev, then "
      "rebuild)",
      what);
}

graph::Graph import_onnx(const std::string& path, const InputShapes&) { return import_onnx_bytes("", path); }

#endif

void parse_input_shape(const std::string& text, InputShapes& shapes) {
  const size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0)
    fail("--input-shape '{}': expected NAME=DIMS, e.g. input=1x3x224x224", text);
  const std::string name = text.substr(0, eq), dims_text = text.substr(eq + 1);
  std::vector<int64_t> dims;
  size_t start = 0;
  while (start <= dims_text.size()) {
    size_t end = dims_text.find('x', start);
    if (end == std::string::npos) end = dims_text.size();
    const std::string d = dims_text.substr(start, end - start);
    char* stop = nullptr;
    const long long v = d.empty() ? 0 : std::strtoll(d.c_str(), &stop, 10);
    if (d.empty() || *stop != '\0' || v <= 0 || v > (int64_t{1} << 31))
      fail("--input-shape '{}': dimension '{}' is not a positive integer below 2^31", text, d);
    dims.push_back(v);
    start = end + 1;
  }
  if (!shapes.emplace(name, dims).second) fail("--input-shape gives input '{}' twice", name);
}

}  // namespace bcd::frontends
