#include "codegen/expr_printer.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

#include "ir/expr_functor.h"
#include "support/error.h"
#include "support/ndarray.h"

namespace bcd::codegen::detail {

using ir::Expr;
using ir::ExprKind;

std::string sanitize(const std::string& name) {
  std::string s;
  for (char c : name) s += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = "v" + s;
  return s;
}

std::string scalar_helpers(const std::string& qualifier) {
  static const char* kDefinitions[] = {
      "int bcd_floordiv(int a, int b) { int q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q; }",
      "int bcd_floormod(int a, int b) { int r = a % b; return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r; }",
      "int bcd_mini(int a, int b) { return a < b ? a : b; }",
      "int bcd_maxi(int a, int b) { return a > b ? a : b; }",
      "float bcd_minf(float a, float b) { return a < b ? a : b; }",
      "float bcd_maxf(float a, float b) { return a > b ? a : b; }",
  };
  std::string out;
  for (const char* d : kDefinitions) out += qualifier + " " + d + "\n";
  return out;
}

std::string float_literal(double v) {
  if (std::isinf(v)) return v > 0 ? "INFINITY" : "(-INFINITY)";
  if (std::isnan(v)) return "NAN";
  std::string s = fmt::format("{:.9g}", v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s + "f";
}

void check_size(const std::vector<int64_t>& shape, const std::string& name) {
  if (shape_size(shape) > kMaxElements)
    fail("buffer {} has {} elements, more than 32-bit indices address", name, shape_size(shape));
}

bool has_loop_carried_store(const lower::Stmt& s, const ir::Expr& v) {
  if (s->kind == lower::StmtKind::Store) {
    bool uses = false;
    for (const auto& i : s->indices) uses = uses || ir::uses_var(i, v);
    return !uses;
  }
  for (const auto& b : s->body)
    if (b && has_loop_carried_store(b, v)) return true;
  return false;
}

std::string ExprPrinter::unique(const std::string& base) {
  std::string name = sanitize(base);
  std::string candidate = name;
  for (int i = 1; taken_.count(candidate); ++i) candidate = fmt::format("{}_{}", name, i);
  taken_.insert(candidate);
  return candidate;
}

std::string ExprPrinter::buffer_name(const ir::OpNode* b) {
  auto it = buffers_.find(b);
  if (it != buffers_.end()) return it->second;
  return buffers_[b] = unique(b->name);
}

std::string ExprPrinter::var_name(const Expr& v) {
  auto it = vars_.find(v.get());
  if (it != vars_.end()) return it->second;
  fail("generated code uses variable {} outside its loop", v->name);
}

std::string ExprPrinter::flat_index(const ir::OpNode* buffer, const std::vector<Expr>& indices) {
  return expr(flat_expr(buffer, indices));
}

Expr ExprPrinter::flat_expr(const ir::OpNode* buffer, const std::vector<Expr>& indices) {
  auto it = shapes_.find(buffer);
  if (it == shapes_.end()) fail("buffer {} used outside its allocation", buffer->name);
  const auto& shape = it->second;
  BCD_CHECK(shape.size() == indices.size(), "{}: {} indices for rank {}", buffer->name,
            indices.size(), shape.size());
  if (indices.empty()) return ir::int_imm(0);
  Expr flat = indices[0];
  for (size_t d = 1; d < indices.size(); ++d) flat = flat * ir::int_imm(shape[d]) + indices[d];
  return ir::simplify(flat, ranges_);
}

std::string ExprPrinter::expr(const Expr& e) {
  const auto& o = e->operands;
  auto bin = [&](const char* op) { return fmt::format("({} {} {})", expr(o[0]), op, expr(o[1])); };
  bool fl = !o.empty() && o[0]->dtype == ir::DType::Float;
  switch (e->kind) {
    case ExprKind::IntImm: return std::to_string(e->int_value);
    case ExprKind::FloatImm: return float_literal(e->float_value);
    case ExprKind::Var: return var_name(e);
    case ExprKind::Add: return bin("+");
    case ExprKind::Sub: return bin("-");
    case ExprKind::Mul: return bin("*");
    case ExprKind::Div: return bin("/");
    case ExprKind::FloorDiv:
    case ExprKind::FloorMod: {
      // Plain C division truncates; it equals floor division when both sides are
      // provably non-negative, which is the common case for index arithmetic.
      bool nonneg = ir::bound(o[0], ranges_).min >= 0 && ir::bound(o[1], ranges_).min > 0;
      bool div = e->kind == ExprKind::FloorDiv;
      if (nonneg) return bin(div ? "/" : "%");
      return fmt::format("{}({}, {})", div ? "bcd_floordiv" : "bcd_floormod", expr(o[0]), expr(o[1]));
    }
    case ExprKind::Min: return fmt::format("{}({}, {})", fl ? "bcd_minf" : "bcd_mini", expr(o[0]), expr(o[1]));
    case ExprKind::Max: return fmt::format("{}({}, {})", fl ? "bcd_maxf" : "bcd_maxi", expr(o[0]), expr(o[1]));
    case ExprKind::EQ: return bin("==");
    case ExprKind::NE: return bin("!=");
    case ExprKind::LT: return bin("<");
    case ExprKind::LE: return bin("<=");
    case ExprKind::GT: return bin(">");
    case ExprKind::GE: return bin(">=");
    case ExprKind::And: return bin("&&");
    case ExprKind::Or: return bin("||");
    case ExprKind::Not: return fmt::format("(!{})", expr(o[0]));
    case ExprKind::Select: return fmt::format("({} ? {} : {})", expr(o[0]), expr(o[1]), expr(o[2]));
    case ExprKind::Cast:
      return fmt::format("(({}){})", e->dtype == ir::DType::Float ? "float" : "int", expr(o[0]));
    case ExprKind::Call: {
      static const char* libm[] = {"expf", "logf", "sqrtf", "tanhf", "erff", "bcd_sigmoid", "fabsf", "powf"};
      static const char* vectorizable[] = {"bcd_expf", "logf",        "sqrtf", "bcd_tanhf",
                                            "bcd_erff", "bcd_sigmoid", "fabsf", "powf"};
      std::string s = std::string((vector_math_ ? vectorizable : libm)[static_cast<int>(e->fn)]) + "(";
      for (size_t i = 0; i < o.size(); ++i) s += (i ? ", " : "") + expr(o[i]);
      return s + ")";
    }
    case ExprKind::Load:
      if (auto it = load_overrides_.find(e.get()); it != load_overrides_.end()) return it->second;
      return fmt::format("{}[{}]", buffer_name(e->tensor.get()), flat_index(e->tensor.get(), o));
    case ExprKind::Reduce: fail("a reduction reached code generation unlowered");
  }
  return "";
}

}  // namespace bcd::codegen::detail
