#include "ir/dag_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <string_view>
#include <unordered_map>

#include "support/error.h"
#include "support/ndarray.h"

namespace bcd::ir {

using nlohmann::json;

namespace {

constexpr int64_t kFormatVersion = 1;
// Deeper bodies are refused both ways: reading recurses once per level, and a real
// operator's body is a few dozen levels deep.
constexpr int kMaxExprDepth = 512;
// Rebuilding the DAG (ComputeDAG's depth-first walk) recurses once per op of a
// chain; a fused task has a handful.
constexpr size_t kMaxOps = 1024;
constexpr size_t kMaxNameLength = 256;
// Spatial or reduction axes of one op (each becomes a loop of the lowered nest);
// real tensors have a handful.
constexpr size_t kMaxAxes = 32;

const char* dtype_name(DType t) {
  switch (t) {
    case DType::Int: return "int";
    case DType::Float: return "float";
    case DType::Bool: return "bool";
  }
  return "?";
}

std::string default_axis_name(const std::string& op_name, size_t k) {
  return op_name + "_i" + std::to_string(k);  // what ir::compute names its axes
}

// The encodings of the non-finite floats, which JSON numbers cannot hold.
const char* non_finite_name(double v) {
  if (std::isnan(v)) return std::signbit(v) ? "-nan" : "nan";
  return v > 0 ? "inf" : "-inf";
}

// ---------------------------------------------------------------------------------
// Writing

class ExprWriter {
 public:
  ExprWriter(const ComputeDAG& dag, const OpNode& op) : dag_(dag), op_(op) {
    for (size_t k = 0; k < op.axes.size(); ++k) vars_[op.axes[k].var.get()] = fmt::format("a{}", k);
    for (size_t k = 0; k < op.reduce_axes.size(); ++k)
      vars_[op.reduce_axes[k].var.get()] = fmt::format("r{}", k);
  }

  json write(const Expr& e, int depth) const {
    if (depth > kMaxExprDepth)
      fail("dag_to_json: the body of {} is nested deeper than {} levels", op_.name, kMaxExprDepth);
    switch (e->kind) {
      case ExprKind::IntImm:
        if (e->dtype == DType::Bool) return json(e->int_value != 0);
        return json(e->int_value);
      case ExprKind::FloatImm:
        if (std::isfinite(e->float_value)) return json(e->float_value);
        return json::array({"float", non_finite_name(e->float_value)});
      case ExprKind::Var: {
        auto it = vars_.find(e.get());
        BCD_CHECK(it != vars_.end(), "{} uses variable {}, not one of its axes", op_.name, e->name);
        return json(it->second);
      }
      default: break;
    }
    json j = json::array();
    switch (e->kind) {
      case ExprKind::Cast: j.push_back(std::string("cast") + dtype_name(e->dtype)[0]); break;
      case ExprKind::Call: j.push_back(call_name(e->fn)); break;
      case ExprKind::Load: {
        int producer = dag_.index_of(e->tensor.get());
        BCD_CHECK(producer >= 0, "{} loads {}, which is not in the DAG", op_.name, e->tensor->name);
        j.push_back("load");
        j.push_back(producer);
        break;
      }
      case ExprKind::Reduce:
        j.push_back("reduce");
        j.push_back(reduce_name(e->reduce_op));
        break;
      default: j.push_back(kind_name(e->kind)); break;
    }
    for (const Expr& operand : e->operands) j.push_back(write(operand, depth + 1));
    return j;
  }

 private:
  const ComputeDAG& dag_;
  const OpNode& op_;
  std::unordered_map<const ExprNode*, std::string> vars_;
};

json compute_to_json(const ComputeDAG& dag, const OpNode& op) {
  // Only what ir::compute would not derive by itself goes out: it rebuilds the axes.
  BCD_CHECK(op.dtype == DType::Float && op.axes.size() == op.shape.size(),
            "{} was not built by ir::compute", op.name);
  for (size_t k = 0; k < op.axes.size(); ++k)
    BCD_CHECK(op.axes[k].extent == op.shape[k] && op.axes[k].kind == IterKind::Spatial &&
                  op.axes[k].var->name == default_axis_name(op.name, k),
              "axis {} of {} is not the one ir::compute gives", k, op.name);
  BCD_CHECK(op.has_reduce() == (op.body->kind == ExprKind::Reduce),
            "{}: reduce axes and body disagree", op.name);
  json j = {{"name", op.name}, {"shape", op.shape}, {"body", ExprWriter(dag, op).write(op.body, 0)}};
  if (!op.tag.empty()) j["tag"] = op.tag;
  if (op.has_reduce()) {
    BCD_CHECK(op.body->reduce_axes.size() == op.reduce_axes.size(), "{}: reduce axes and body disagree", op.name);
    json axes = json::array();
    for (size_t k = 0; k < op.reduce_axes.size(); ++k) {
      const IterVar& r = op.reduce_axes[k];
      BCD_CHECK(r.var.same_as(op.body->reduce_axes[k].var), "{}: reduce axes and body disagree", op.name);
      axes.push_back({r.extent, r.var->name});
    }
    j["reduce"] = std::move(axes);
  }
  json layout_free = json::array();
  for (const OpRef& input : op.layout_free_inputs) {
    // A placeholder outside the DAG cannot be among its layout-free inputs anyway.
    int index = dag.index_of(input.get());
    if (index >= 0) layout_free.push_back(index);
  }
  if (!layout_free.empty()) j["layout_free"] = std::move(layout_free);
  return j;
}

// ---------------------------------------------------------------------------------
// Reading

// A string from the input, safe for a one-line message: escaped and shortened.
std::string shown(const std::string& s) {
  constexpr size_t kShown = 40;
  std::string shown = s.size() > kShown ? s.substr(0, kShown) + "..." : s;
  return json(shown).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string describe(const json& v) {
  if (v.is_number_float()) return "a float";
  if (v.is_number_integer()) return "an integer";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return v.type_name();
}

// The ways an expression array is built, by its kind string.
enum class Form { Binary, Not, Select, Cast, Call, Load, Reduce, NonFinite };

struct KindInfo {
  Form form;
  ExprKind kind = ExprKind::Add;  // Binary
  DType dtype = DType::Float;     // Cast
  CallFn fn = CallFn::Exp;        // Call
};

const std::unordered_map<std::string, KindInfo>& kind_table() {
  static const std::unordered_map<std::string, KindInfo> table = [] {
    std::unordered_map<std::string, KindInfo> t;
    for (int k = 0; k <= static_cast<int>(ExprKind::Reduce); ++k) {
      auto kind = static_cast<ExprKind>(k);
      if (is_binary(kind)) t[kind_name(kind)] = {Form::Binary, kind};
    }
    t[kind_name(ExprKind::Not)] = {Form::Not};
    t["select"] = {Form::Select};
    for (DType d : {DType::Float, DType::Int, DType::Bool})
      t[std::string("cast") + dtype_name(d)[0]] = {Form::Cast, ExprKind::Cast, d};
    for (int f = 0; f <= static_cast<int>(CallFn::Pow); ++f)
      t[call_name(static_cast<CallFn>(f))] = {Form::Call, ExprKind::Call, DType::Float, static_cast<CallFn>(f)};
    t["load"] = {Form::Load};
    t["reduce"] = {Form::Reduce};
    t["float"] = {Form::NonFinite};
    return t;
  }();
  return table;
}

class DagReader {
 public:
  ComputeDAG read(const json& j) {
    if (!j.is_object()) bad("the DAG must be an object, not {}", describe(j));
    check_fields(j, {"v", "ops", "outputs"});
    int64_t version = integer(field(j, "v"), "\"v\"");
    if (version != kFormatVersion) bad("unsupported version {} (this bcd reads {})", version, kFormatVersion);
    const json& ops = field(j, "ops");
    if (!ops.is_array()) bad("\"ops\" must be an array, not {}", describe(ops));
    if (ops.empty()) bad("\"ops\" is empty");
    if (ops.size() > kMaxOps) bad("{} ops, more than the {} a DAG may have", ops.size(), kMaxOps);
    n_ops_ = ops.size();
    std::vector<Tensor> inputs;
    for (size_t i = 0; i < ops.size(); ++i) {
      where_ = fmt::format("op {}: ", i);
      ops_.push_back(read_op(ops[i]));
      if (ops_.back()->is_placeholder()) inputs.push_back(ops_.back());
    }
    where_.clear();

    const json& outs = field(j, "outputs");
    if (!outs.is_array()) bad("\"outputs\" must be an array, not {}", describe(outs));
    if (outs.empty()) bad("\"outputs\" is empty");
    std::vector<Tensor> outputs;
    std::set<size_t> seen;
    for (const json& o : outs) {
      size_t index = op_index(o, "an output");
      if (!seen.insert(index).second) bad("op {} is listed twice in \"outputs\"", index);
      if (ops_[index]->is_placeholder()) bad("output op {} is a placeholder, not a compute op", index);
      outputs.push_back(ops_[index]);
    }
    ComputeDAG dag(std::move(inputs), std::move(outputs));
    // Rebuilding keeps only what the outputs need: an op beyond that was not a part
    // of the DAG that was written.
    for (size_t i = 0; i < ops_.size(); ++i)
      if (dag.index_of(ops_[i].op().get()) < 0) bad("op {} is neither an output nor read by one", i);
    return dag;
  }

 private:
  template <typename... Args>
  [[noreturn]] void bad(fmt::format_string<Args...> format, Args&&... args) const {
    fail("dag json: {}{}", where_, fmt::format(format, std::forward<Args>(args)...));
  }

  const json& field(const json& object, const char* key) const {
    auto it = object.find(key);
    if (it == object.end()) bad("missing field \"{}\"", key);
    return *it;
  }

  void check_fields(const json& object, std::initializer_list<std::string_view> known) const {
    for (const auto& [key, value] : object.items())
      if (std::find(known.begin(), known.end(), key) == known.end()) bad("unknown field {}", shown(key));
  }

  int64_t integer(const json& v, const std::string& what) const {
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        bad("{} is out of range", what);
      return static_cast<int64_t>(v.get<uint64_t>());
    }
    if (!v.is_number_integer()) bad("{} must be an integer, not {}", what, describe(v));
    return v.get<int64_t>();
  }

  std::string text(const json& v, const std::string& what) const {
    if (!v.is_string()) bad("{} must be a string, not {}", what, describe(v));
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() > kMaxNameLength) bad("{} is longer than {} characters", what, kMaxNameLength);
    // Names end up in one-line messages and in generated code.
    for (unsigned char c : s)
      if (c < 0x20 || c == 0x7f) bad("{} {} holds a control character", what, shown(s));
    return s;
  }

  size_t op_index(const json& v, const std::string& what) const {
    int64_t i = integer(v, what);
    if (i < 0 || static_cast<size_t>(i) >= n_ops_) bad("{} refers to op {}, out of range (0..{})", what, i, n_ops_ - 1);
    return static_cast<size_t>(i);
  }

  // An op index that must name an op read before the current one.
  const Tensor& earlier_op(const json& v, const std::string& what) const {
    size_t i = op_index(v, what);
    if (i >= ops_.size()) bad("{} refers to op {}, which is not before this op", what, i);
    return ops_[i];
  }

  std::vector<int64_t> shape(const json& v) const {
    if (!v.is_array()) bad("\"shape\" must be an array, not {}", describe(v));
    if (v.size() > kMaxAxes) bad("\"shape\" has {} dimensions, more than {}", v.size(), kMaxAxes);
    std::vector<int64_t> s;
    for (const json& d : v) s.push_back(integer(d, "a dimension of \"shape\""));
    checked_shape_size(s, fmt::format("dag json: {}", where_.substr(0, where_.size() - 2)));
    return s;
  }

  Tensor read_op(const json& j) {
    if (!j.is_object()) bad("an op must be an object, not {}", describe(j));
    std::string name = text(field(j, "name"), "\"name\"");
    where_ = fmt::format("op {} {}: ", ops_.size(), shown(name));
    if (!j.contains("body")) {
      for (const char* key : {"tag", "reduce", "layout_free"})
        if (j.contains(key)) bad("missing field \"body\" (a placeholder has no \"{}\")", key);
      check_fields(j, {"name", "shape", "dtype"});
      DType dtype = DType::Float;
      if (j.contains("dtype")) {
        std::string d = text(j.at("dtype"), "\"dtype\"");
        if (d == "int") dtype = DType::Int;
        else if (d == "bool") dtype = DType::Bool;
        else if (d != "float") bad("unknown dtype {} (float, int or bool)", shown(d));
      }
      return placeholder(shape(field(j, "shape")), name, dtype);
    }
    check_fields(j, {"name", "tag", "shape", "reduce", "body", "layout_free"});
    std::string tag = j.contains("tag") ? text(j.at("tag"), "\"tag\"") : "";
    std::vector<int64_t> out_shape = shape(field(j, "shape"));
    std::vector<IterVar> reduce_axes = read_reduce_axes(j);
    Tensor op = compute(
        out_shape, [&](const std::vector<Expr>& axes) { return read_body(j.at("body"), axes, reduce_axes); }, name,
        tag);
    if (j.contains("layout_free")) {
      const json& list = j.at("layout_free");
      if (!list.is_array()) bad("\"layout_free\" must be an array, not {}", describe(list));
      std::vector<Tensor> inputs;
      for (const json& v : list) {
        const Tensor& t = earlier_op(v, "\"layout_free\"");
        if (!t->is_placeholder()) bad("\"layout_free\" lists op {}, which is not a placeholder", integer(v, ""));
        inputs.push_back(t);
      }
      op = with_layout_free_inputs(op, inputs);
    }
    return op;
  }

  std::vector<IterVar> read_reduce_axes(const json& j) const {
    std::vector<IterVar> axes;
    if (!j.contains("reduce")) return axes;
    const json& list = j.at("reduce");
    if (!list.is_array()) bad("\"reduce\" must be an array, not {}", describe(list));
    if (list.empty()) bad("\"reduce\" lists no axes");
    if (list.size() > kMaxAxes) bad("\"reduce\" lists {} axes, more than {}", list.size(), kMaxAxes);
    for (size_t k = 0; k < list.size(); ++k) {
      const json& axis = list[k];
      if (!axis.is_array() || axis.size() != 2) bad("reduce axis {} must be [extent, name]", k);
      int64_t extent = integer(axis[0], fmt::format("the extent of reduce axis {}", k));
      if (extent < 1 || extent > kMaxTensorElements)
        bad("reduce axis {} has extent {}, not in 1..2^36", k, extent);
      axes.push_back(reduce_axis(extent, text(axis[1], fmt::format("the name of reduce axis {}", k))));
    }
    return axes;
  }

  Expr read_body(const json& j, const std::vector<Expr>& axes, const std::vector<IterVar>& reduce_axes) {
    axes_ = axes;
    reduce_vars_.clear();
    for (const IterVar& r : reduce_axes) reduce_vars_.push_back(r.var);
    Expr body;
    if (j.is_array() && !j.empty() && j[0] == "reduce") {
      if (reduce_axes.empty()) bad("a reduction without \"reduce\" axes");
      if (j.size() != 3) bad("\"reduce\" takes 2 operands, not {}", j.size() - 1);
      std::string op = text(j[1], "the reduction");
      Expr source = read(j[2], 1);
      for (ReduceOp r : {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min})
        if (op == reduce_name(r)) body = reduce(r, source, reduce_axes);
      if (!body) bad("unknown reduction {} (sum, max or min)", shown(op));
    } else {
      if (!reduce_axes.empty()) bad("\"reduce\" axes but the body is not a reduction");
      body = read(j, 0);
    }
    if (body->dtype != DType::Float) bad("the body is {}; a compute body must be float", dtype_name(body->dtype));
    return body;
  }

  Expr read(const json& j, int depth) {
    if (depth > kMaxExprDepth) bad("expression nested deeper than {} levels", kMaxExprDepth);
    switch (j.type()) {
      case json::value_t::number_integer:
      case json::value_t::number_unsigned: return int_imm(integer(j, "an integer immediate"));
      case json::value_t::number_float: return float_imm(j.get<double>());
      case json::value_t::boolean: return bool_imm(j.get<bool>());
      case json::value_t::string: return variable(j.get_ref<const std::string&>());
      case json::value_t::array: return read_node(j, depth);
      default: bad("an expression cannot be {}", describe(j));
    }
  }

  Expr variable(const std::string& name) const {
    const std::vector<Expr>* vars = name.starts_with("a") ? &axes_ : name.starts_with("r") ? &reduce_vars_ : nullptr;
    size_t k = 0;
    const char* end = name.data() + name.size();
    if (vars && name.size() > 1) {
      auto [ptr, ec] = std::from_chars(name.data() + 1, end, k);
      if (ec == std::errc() && ptr == end && k < vars->size()) return (*vars)[k];
    }
    bad("unknown variable {} (this op has {} axes, a0.., and {} reduce axes, r0..)", shown(name), axes_.size(),
        reduce_vars_.size());
  }

  Expr read_node(const json& j, int depth) {
    if (j.empty()) bad("an empty expression array");
    if (!j[0].is_string()) bad("an expression array must start with its kind, not {}", describe(j[0]));
    const std::string& name = j[0].get_ref<const std::string&>();
    auto it = kind_table().find(name);
    if (it == kind_table().end()) bad("unknown expression kind {}", shown(name));
    const KindInfo& info = it->second;
    const size_t n = j.size() - 1;
    auto expect_operands = [&](size_t count) {
      if (n != count) bad("{} takes {} operand{}, not {}", shown(name), count, count == 1 ? "" : "s", n);
    };
    switch (info.form) {
      case Form::NonFinite: {
        expect_operands(1);
        std::string v = text(j[1], "a non-finite float");
        double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
        if (v == "inf") return float_imm(inf);
        if (v == "-inf") return float_imm(-inf);
        if (v == "nan") return float_imm(nan);
        if (v == "-nan") return float_imm(-nan);
        bad("unknown non-finite float {} (inf, -inf, nan or -nan)", shown(v));
      }
      case Form::Reduce: bad("a reduction inside an expression: only a whole body may reduce");
      case Form::Load: {
        if (n < 1) bad("\"load\" needs an op index");
        const Tensor& t = earlier_op(j[1], "a load");
        if (static_cast<size_t>(t.ndim()) != n - 1)
          bad("a load of op {} with {} indices; its rank is {}", integer(j[1], ""), n - 1, t.ndim());
        std::vector<Expr> indices;
        for (size_t i = 2; i < j.size(); ++i) {
          indices.push_back(read(j[i], depth + 1));
          if (indices.back()->dtype != DType::Int)
            bad("index {} of a load of op {} is {}, not int", i - 2, integer(j[1], ""),
                dtype_name(indices.back()->dtype));
        }
        return load(t.op(), std::move(indices));
      }
      case Form::Call: {
        expect_operands(info.fn == CallFn::Pow ? 2 : 1);
        std::vector<Expr> args;
        for (size_t i = 1; i < j.size(); ++i) args.push_back(read(j[i], depth + 1));
        return call(info.fn, std::move(args));
      }
      case Form::Cast: expect_operands(1); return cast(info.dtype, read(j[1], depth + 1));
      case Form::Not: {
        expect_operands(1);
        Expr a = read(j[1], depth + 1);
        expect_dtype(a, DType::Bool, "the operand of \"!\"");
        return logical_not(a);
      }
      case Form::Select: {
        expect_operands(3);
        Expr cond = read(j[1], depth + 1);
        expect_dtype(cond, DType::Bool, "the condition of \"select\"");
        return select(cond, read(j[2], depth + 1), read(j[3], depth + 1));
      }
      case Form::Binary: {
        expect_operands(2);
        Expr a = read(j[1], depth + 1), b = read(j[2], depth + 1);
        const std::string operand = "an operand of " + shown(name);
        if (info.kind == ExprKind::And || info.kind == ExprKind::Or) {
          expect_dtype(a, DType::Bool, operand);
          expect_dtype(b, DType::Bool, operand);
        } else if (info.kind == ExprKind::FloorDiv || info.kind == ExprKind::FloorMod) {
          expect_dtype(a, DType::Int, operand);
          expect_dtype(b, DType::Int, operand);
        }
        return make_binary(info.kind, a, b);
      }
    }
    bad("unknown expression kind {}", shown(name));  // not reached: the switch covers every form
  }

  void expect_dtype(const Expr& e, DType want, const std::string& what) const {
    if (e->dtype != want) bad("{} is {}, not {}", what, dtype_name(e->dtype), dtype_name(want));
  }

  std::string where_;  // "op 3 \"conv\": ", the prefix of messages
  size_t n_ops_ = 0;
  std::vector<Tensor> ops_;
  std::vector<Expr> axes_, reduce_vars_;  // of the op whose body is read
};

}  // namespace

json dag_to_json(const ComputeDAG& dag) {
  json ops = json::array();
  for (size_t i = 0; i < dag.ops().size(); ++i) {
    const OpNode& op = *dag.ops()[i];
    if (op.is_compute()) {
      ops.push_back(compute_to_json(dag, op));
      continue;
    }
    // The reader takes the placeholders, in order, as the inputs: ComputeDAG lists
    // them first, in argument order.
    BCD_CHECK(i < dag.inputs().size() && dag.inputs()[i].op() == dag.ops()[i].op() && op.tag == "placeholder",
              "placeholder {} is not input {} of the DAG", op.name, i);
    json p = {{"name", op.name}, {"shape", op.shape}};
    if (op.dtype != DType::Float) p["dtype"] = dtype_name(op.dtype);
    ops.push_back(std::move(p));
  }
  json outputs = json::array();
  for (const Tensor& t : dag.outputs()) outputs.push_back(dag.index_of(t.op().get()));
  return {{"v", kFormatVersion}, {"ops", std::move(ops)}, {"outputs", std::move(outputs)}};
}

ComputeDAG dag_from_json(const json& j) { return DagReader().read(j); }

}  // namespace bcd::ir
