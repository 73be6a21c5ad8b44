#include "ir/expr_functor.h"

#include "ir/tensor.h"

namespace bcd::ir {

void visit(const Expr& e, const std::function<bool(const Expr&)>& fn) {
  if (!e || !fn(e)) return;
  for (const auto& op : e->operands) visit(op, fn);
}

Expr rewrite(const Expr& e, const std::function<Expr(const Expr&)>& fn) {
  if (!e) return e;
  if (e->operands.empty()) return fn(e);
  std::vector<Expr> operands;
  operands.reserve(e->operands.size());
  bool changed = false;
  for (const auto& op : e->operands) {
    operands.push_back(rewrite(op, fn));
    changed |= !operands.back().same_as(op);
  }
  return fn(changed ? with_operands(e, std::move(operands)) : e);
}

Expr substitute(const Expr& e, const VarMap& map) {
  if (map.empty()) return e;
  return rewrite(e, [&](const Expr& x) {
    if (x->kind == ExprKind::Var) {
      auto it = map.find(x.get());
      if (it != map.end()) return it->second;
    }
    return x;
  });
}

bool structural_equal(const Expr& a, const Expr& b) {
  if (a.same_as(b)) return true;
  if (!a || !b) return false;
  if (a->kind != b->kind || a->dtype != b->dtype) return false;
  switch (a->kind) {
    case ExprKind::IntImm: return a->int_value == b->int_value;
    case ExprKind::FloatImm: return a->float_value == b->float_value;
    case ExprKind::Var: return false;  // distinct variables (identity checked above)
    case ExprKind::Call:
      if (a->fn != b->fn) return false;
      break;
    case ExprKind::Load:
      if (a->tensor != b->tensor) return false;
      break;
    case ExprKind::Reduce:
      if (a->reduce_op != b->reduce_op || a->reduce_axes.size() != b->reduce_axes.size())
        return false;
      for (size_t i = 0; i < a->reduce_axes.size(); ++i)
        if (!a->reduce_axes[i].var.same_as(b->reduce_axes[i].var)) return false;
      break;
    default: break;
  }
  if (a->operands.size() != b->operands.size()) return false;
  for (size_t i = 0; i < a->operands.size(); ++i)
    if (!structural_equal(a->operands[i], b->operands[i])) return false;
  return true;
}

bool uses_var(const Expr& e, const Expr& v) {
  bool found = false;
  visit(e, [&](const Expr& x) {
    if (x.same_as(v)) found = true;
    return !found;
  });
  return found;
}

}  // namespace bcd::ir
