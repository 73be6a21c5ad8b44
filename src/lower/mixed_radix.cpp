#include "lower/mixed_radix.h"

#include <algorithm>
#include <map>


namespace bcd::lower {

namespace {

std::optional<Digit> digit_of(const ir::Expr& e) {
  int64_t c = 0;
  if (e->kind == ir::ExprKind::Var) return Digit{e.get(), 1, 0};
  if ((e->kind != ir::ExprKind::FloorDiv && e->kind != ir::ExprKind::FloorMod) ||
      !ir::is_const_int(e->operands[1], &c) || c <= 0)
    return std::nullopt;
  auto inner = digit_of(e->operands[0]);
  if (!inner || inner->modulus != 0) return std::nullopt;
  if (e->kind == ir::ExprKind::FloorDiv) inner->divisor *= c;
  else inner->modulus = c;
  return inner;
}

// An index as sum(coefficient * digit) + constant; false for anything else.
struct Affine {
  std::map<Digit, int64_t> coefficients;
  int64_t constant = 0;
};

bool decompose(const ir::Expr& e, int64_t scale, Affine& out) {
  int64_t c = 0;
  switch (e->kind) {
    case ir::ExprKind::IntImm: out.constant += scale * e->int_value; return true;
    case ir::ExprKind::Add: return decompose(e->operands[0], scale, out) && decompose(e->operands[1], scale, out);
    case ir::ExprKind::Sub: return decompose(e->operands[0], scale, out) && decompose(e->operands[1], -scale, out);
    case ir::ExprKind::Mul:
      if (ir::is_const_int(e->operands[1], &c)) return decompose(e->operands[0], scale * c, out);
      if (ir::is_const_int(e->operands[0], &c)) return decompose(e->operands[1], scale * c, out);
      return false;
    default:
      if (auto d = digit_of(e)) {
        out.coefficients[*d] += scale;
        return true;
      }
      return false;
  }
}

}  // namespace

ir::Expr Axis::value() const {
  ir::Expr e = var;
  if (digit.divisor != 1) e = ir::floordiv(e, ir::int_imm(digit.divisor));
  if (digit.modulus != 0) e = ir::floormod(e, ir::int_imm(digit.modulus));
  return e;
}

std::optional<std::vector<std::vector<Term>>> mixed_radix_terms(const std::vector<ir::Expr>& indices,
                                                                const LoopStack& loops,
                                                                const std::vector<int64_t>& shape) {
  if (indices.size() != shape.size()) return std::nullopt;
  std::vector<std::vector<Term>> dims(shape.size());
  std::vector<Digit> used;
  for (size_t d = 0; d < shape.size(); ++d) {
    Affine affine;
    if (!decompose(indices[d], 1, affine) || affine.constant != 0) return std::nullopt;
    for (auto [digit, coefficient] : affine.coefficients) {
      if (coefficient == 0) continue;
      auto loop = std::find_if(loops.begin(), loops.end(), [&](const Loop& l) { return l.var.get() == digit.var; });
      if (loop == loops.end() || std::find(used.begin(), used.end(), digit) != used.end()) return std::nullopt;
      used.push_back(digit);
      int64_t extent = digit.modulus ? digit.modulus : (loop->extent + digit.divisor - 1) / digit.divisor;
      // A loop of extent 1 (lowering keeps them, e.g. the outer tiles of a stage
      // computed inside its consumer's tile) is always 0: it indexes nothing.
      if (extent == 1) continue;
      dims[d].push_back({{digit, loop->var, loop->depth, extent}, coefficient, static_cast<int>(d)});
    }
    std::sort(dims[d].begin(), dims[d].end(),
              [](const Term& x, const Term& y) {
                return x.coefficient != y.coefficient ? x.coefficient < y.coefficient : x.axis < y.axis;
              });
    int64_t stride = 1;
    for (const Term& t : dims[d]) {
      if (t.coefficient != stride) return std::nullopt;
      stride *= t.axis.extent;
    }
    if (stride != shape[d]) return std::nullopt;
  }
  return dims;
}

std::vector<Term> in_loop_order(const std::vector<std::vector<Term>>& dims) {
  std::vector<Term> order;
  for (const auto& terms : dims) order.insert(order.end(), terms.begin(), terms.end());
  std::sort(order.begin(), order.end(), [](const Term& x, const Term& y) { return x.axis < y.axis; });
  return order;
}

bool visits_in_original_order(const std::vector<Term>& order) {
  return std::is_sorted(order.begin(), order.end(), [](const Term& x, const Term& y) {
    return x.dim != y.dim ? x.dim < y.dim : x.coefficient > y.coefficient;
  });
}

}  // namespace bcd::lower
