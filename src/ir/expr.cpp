#include "ir/expr.h"

#include <cmath>
#include <limits>

#include "ir/tensor.h"
#include "support/error.h"

namespace bcd::ir {

namespace {

std::shared_ptr<ExprNode> node(ExprKind kind, DType dtype) {
  auto n = std::make_shared<ExprNode>();
  n->kind = kind;
  n->dtype = dtype;
  return n;
}

// Int operands of a float operation become floats (literals directly, others by cast).
Expr to_float(const Expr& e) {
  if (e->dtype == DType::Float) return e;
  int64_t v;
  if (is_const_int(e, &v)) return float_imm(static_cast<double>(v));
  return cast(DType::Float, e);
}

}  // namespace

Expr::Expr(int v) : Expr(int_imm(v)) {}
Expr::Expr(int64_t v) : Expr(int_imm(v)) {}
Expr::Expr(double v) : Expr(float_imm(v)) {}
Expr::Expr(float v) : Expr(float_imm(v)) {}

Expr int_imm(int64_t v) {
  auto n = node(ExprKind::IntImm, DType::Int);
  n->int_value = v;
  return Expr(n);
}

Expr float_imm(double v) {
  auto n = node(ExprKind::FloatImm, DType::Float);
  n->float_value = v;
  return Expr(n);
}

Expr bool_imm(bool v) {
  auto n = node(ExprKind::IntImm, DType::Bool);
  n->int_value = v ? 1 : 0;
  return Expr(n);
}

Expr var(const std::string& name, DType dtype) {
  auto n = node(ExprKind::Var, dtype);
  n->name = name;
  return Expr(n);
}

bool is_binary(ExprKind k) {
  return (k >= ExprKind::Add && k <= ExprKind::GE) || k == ExprKind::And || k == ExprKind::Or;
}

bool is_compare(ExprKind k) { return k >= ExprKind::EQ && k <= ExprKind::GE; }

Expr make_binary(ExprKind kind, Expr a, Expr b) {
  BCD_CHECK(a && b, "null operand of {}", kind_name(kind));
  BCD_CHECK(is_binary(kind), "{} is not binary", kind_name(kind));
  DType dtype;
  if (kind == ExprKind::And || kind == ExprKind::Or) {
    BCD_CHECK(a->dtype == DType::Bool && b->dtype == DType::Bool, "logic on non-bool");
    dtype = DType::Bool;
  } else if (kind == ExprKind::FloorDiv || kind == ExprKind::FloorMod) {
    BCD_CHECK(a->dtype == DType::Int && b->dtype == DType::Int, "floordiv/floormod need ints");
    dtype = DType::Int;
  } else {
    bool fl = a->dtype == DType::Float || b->dtype == DType::Float || kind == ExprKind::Div;
    if (fl) {
      a = to_float(a);
      b = to_float(b);
    }
    dtype = is_compare(kind) ? DType::Bool : (fl ? DType::Float : DType::Int);
  }
  auto n = node(kind, dtype);
  n->operands = {std::move(a), std::move(b)};
  return Expr(n);
}

Expr select(Expr cond, Expr t, Expr f) {
  BCD_CHECK(cond->dtype == DType::Bool, "select condition must be bool");
  if (t->dtype != f->dtype) {
    t = to_float(t);
    f = to_float(f);
  }
  auto n = node(ExprKind::Select, t->dtype);
  n->operands = {std::move(cond), std::move(t), std::move(f)};
  return Expr(n);
}

Expr cast(DType dtype, Expr value) {
  auto n = node(ExprKind::Cast, dtype);
  n->operands = {std::move(value)};
  return Expr(n);
}

Expr call(CallFn fn, std::vector<Expr> args) {
  for (auto& a : args) a = to_float(a);
  auto n = node(ExprKind::Call, DType::Float);
  n->fn = fn;
  n->operands = std::move(args);
  return Expr(n);
}

Expr load(OpRef tensor, std::vector<Expr> indices) {
  BCD_CHECK(tensor, "load of a null tensor");
  BCD_CHECK(indices.size() == tensor->shape.size(), "load of {} with {} indices (rank {})",
            tensor->name, indices.size(), tensor->shape.size());
  for (auto& i : indices) BCD_CHECK(i->dtype == DType::Int, "non-integer index into {}", tensor->name);
  auto n = node(ExprKind::Load, tensor->dtype);
  n->tensor = std::move(tensor);
  n->operands = std::move(indices);
  return Expr(n);
}

Expr reduce(ReduceOp op, Expr source, std::vector<IterVar> axes) {
  BCD_CHECK(!axes.empty(), "reduction without axes");
  for (auto& a : axes) BCD_CHECK(a.kind == IterKind::Reduce, "reduction over a spatial axis");
  auto n = node(ExprKind::Reduce, source->dtype);
  n->reduce_op = op;
  n->operands = {std::move(source)};
  n->reduce_axes = std::move(axes);
  return Expr(n);
}

Expr with_operands(const Expr& e, std::vector<Expr> operands) {
  auto n = std::make_shared<ExprNode>(*e);
  n->operands = std::move(operands);
  return Expr(n);
}

IterVar spatial_axis(int64_t extent, const std::string& name) {
  return IterVar{var(name), extent, IterKind::Spatial};
}

IterVar reduce_axis(int64_t extent, const std::string& name) {
  if (extent <= 0) fail("reduction axis {} has non-positive extent {}", name, extent);
  return IterVar{var(name), extent, IterKind::Reduce};
}

Expr operator+(Expr a, Expr b) { return make_binary(ExprKind::Add, a, b); }
Expr operator-(Expr a, Expr b) { return make_binary(ExprKind::Sub, a, b); }
Expr operator*(Expr a, Expr b) { return make_binary(ExprKind::Mul, a, b); }
Expr operator/(Expr a, Expr b) { return make_binary(ExprKind::Div, a, b); }
Expr operator-(Expr a) {
  return a->dtype == DType::Float ? float_imm(0.0) - a : int_imm(0) - a;
}
Expr operator<(Expr a, Expr b) { return make_binary(ExprKind::LT, a, b); }
Expr operator<=(Expr a, Expr b) { return make_binary(ExprKind::LE, a, b); }
Expr operator>(Expr a, Expr b) { return make_binary(ExprKind::GT, a, b); }
Expr operator>=(Expr a, Expr b) { return make_binary(ExprKind::GE, a, b); }
Expr operator==(Expr a, Expr b) { return make_binary(ExprKind::EQ, a, b); }
Expr operator!=(Expr a, Expr b) { return make_binary(ExprKind::NE, a, b); }
Expr logical_and(Expr a, Expr b) { return make_binary(ExprKind::And, a, b); }
Expr logical_or(Expr a, Expr b) { return make_binary(ExprKind::Or, a, b); }
Expr logical_not(Expr a) {
  BCD_CHECK(a->dtype == DType::Bool, "logical not of non-bool");
  auto n = node(ExprKind::Not, DType::Bool);
  n->operands = {std::move(a)};
  return Expr(n);
}
Expr floordiv(Expr a, Expr b) { return make_binary(ExprKind::FloorDiv, a, b); }
Expr floormod(Expr a, Expr b) { return make_binary(ExprKind::FloorMod, a, b); }
Expr min(Expr a, Expr b) { return make_binary(ExprKind::Min, a, b); }
Expr max(Expr a, Expr b) { return make_binary(ExprKind::Max, a, b); }
Expr exp(Expr x) { return call(CallFn::Exp, {x}); }
Expr log(Expr x) { return call(CallFn::Log, {x}); }
Expr sqrt(Expr x) { return call(CallFn::Sqrt, {x}); }
Expr tanh(Expr x) { return call(CallFn::Tanh, {x}); }
Expr erf(Expr x) { return call(CallFn::Erf, {x}); }
Expr sigmoid(Expr x) { return call(CallFn::Sigmoid, {x}); }
Expr abs(Expr x) { return call(CallFn::Abs, {x}); }
Expr pow(Expr x, Expr y) { return call(CallFn::Pow, {x, y}); }
Expr sum(Expr source, std::vector<IterVar> axes) {
  return reduce(ReduceOp::Sum, std::move(source), std::move(axes));
}
Expr max_reduce(Expr source, std::vector<IterVar> axes) {
  return reduce(ReduceOp::Max, std::move(source), std::move(axes));
}
Expr min_reduce(Expr source, std::vector<IterVar> axes) {
  return reduce(ReduceOp::Min, std::move(source), std::move(axes));
}

double reduce_identity(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return 0.0;
    case ReduceOp::Max: return -std::numeric_limits<double>::infinity();
    case ReduceOp::Min: return std::numeric_limits<double>::infinity();
  }
  return 0.0;
}

bool is_const_int(const Expr& e, int64_t* value) {
  if (!e || e->kind != ExprKind::IntImm || e->dtype != DType::Int) return false;
  if (value) *value = e->int_value;
  return true;
}

const char* kind_name(ExprKind k) {
  static const char* names[] = {"int", "float", "var", "+", "-", "*", "/", "floordiv",
                                "floormod", "min", "max", "==", "!=", "<", "<=", ">", ">=",
                                "&&", "||", "!", "select", "cast", "call", "load", "reduce"};
  return names[static_cast<int>(k)];
}

const char* call_name(CallFn fn) {
  static const char* names[] = {"exp", "log", "sqrt", "tanh", "erf", "sigmoid", "abs", "pow"};
  return names[static_cast<int>(fn)];
}

const char* reduce_name(ReduceOp op) {
  static const char* names[] = {"sum", "max", "min"};
  return names[static_cast<int>(op)];
}

std::string to_string(const Expr& e) {
  if (!e) return "<null>";
  const auto& ops = e->operands;
  switch (e->kind) {
    case ExprKind::IntImm:
      return e->dtype == DType::Bool ? (e->int_value ? "true" : "false")
                                     : std::to_string(e->int_value);
    case ExprKind::FloatImm: return fmt::format("{}f", e->float_value);
    case ExprKind::Var: return e->name;
    case ExprKind::FloorDiv:
    case ExprKind::FloorMod:
    case ExprKind::Min:
    case ExprKind::Max:
      return fmt::format("{}({}, {})", kind_name(e->kind), to_string(ops[0]), to_string(ops[1]));
    case ExprKind::Not: return "!" + to_string(ops[0]);
    case ExprKind::Select:
      return fmt::format("select({}, {}, {})", to_string(ops[0]), to_string(ops[1]),
                         to_string(ops[2]));
    case ExprKind::Cast:
      return fmt::format("{}({})", e->dtype == DType::Float ? "float" : "int", to_string(ops[0]));
    case ExprKind::Call: {
      std::string s = std::string(call_name(e->fn)) + "(";
      for (size_t i = 0; i < ops.size(); ++i) s += (i ? ", " : "") + to_string(ops[i]);
      return s + ")";
    }
    case ExprKind::Load: {
      std::string s = e->tensor->name + "[";
      for (size_t i = 0; i < ops.size(); ++i) s += (i ? ", " : "") + to_string(ops[i]);
      return s + "]";
    }
    case ExprKind::Reduce: {
      std::string s = std::string(reduce_name(e->reduce_op)) + "(" + to_string(ops[0]) + ", axes=[";
      for (size_t i = 0; i < e->reduce_axes.size(); ++i)
        s += (i ? ", " : "") + e->reduce_axes[i].var->name;
      return s + "])";
    }
    default:
      return fmt::format("({} {} {})", to_string(ops[0]), kind_name(e->kind), to_string(ops[1]));
  }
}

}  // namespace bcd::ir
