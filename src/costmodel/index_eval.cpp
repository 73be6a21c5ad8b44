#include "costmodel/index_eval.h"

#include <algorithm>
#include <cmath>

namespace bcd::costmodel::detail {

using ir::ExprKind;
using ir::ExprNode;

namespace {

constexpr DInterval kAll{-kUnbounded, kUnbounded};

DInterval clamp(DInterval v) {
  return {std::max(v.lo, -kUnbounded), std::min(v.hi, kUnbounded)};
}

bool const_operand(const ExprNode* e, double* value) {
  if (e->kind != ExprKind::IntImm) return false;
  *value = static_cast<double>(e->int_value);
  return true;
}

}  // namespace

DInterval eval_interval(const ExprNode* e, const LoopVars& loops, const DInterval* ranges) {
  switch (e->kind) {
    case ExprKind::IntImm: return {double(e->int_value), double(e->int_value)};
    case ExprKind::Var: {
      int pos = loops.find(e);
      return pos >= 0 ? ranges[pos] : DInterval{0, 0};
    }
    case ExprKind::Add: {
      DInterval a = eval_interval(e->operands[0].get(), loops, ranges);
      DInterval b = eval_interval(e->operands[1].get(), loops, ranges);
      return clamp({a.lo + b.lo, a.hi + b.hi});
    }
    case ExprKind::Sub: {
      DInterval a = eval_interval(e->operands[0].get(), loops, ranges);
      DInterval b = eval_interval(e->operands[1].get(), loops, ranges);
      return clamp({a.lo - b.hi, a.hi - b.lo});
    }
    case ExprKind::Mul: {
      DInterval a = eval_interval(e->operands[0].get(), loops, ranges);
      DInterval b = eval_interval(e->operands[1].get(), loops, ranges);
      double p[4] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
      return clamp({*std::min_element(p, p + 4), *std::max_element(p, p + 4)});
    }
    case ExprKind::FloorDiv: {
      double c;
      if (!const_operand(e->operands[1].get(), &c) || c == 0) return kAll;
      DInterval a = eval_interval(e->operands[0].get(), loops, ranges);
      double x = std::floor(a.lo / c), y = std::floor(a.hi / c);
      return {std::min(x, y), std::max(x, y)};
    }
    case ExprKind::FloorMod: {
      double c;
      if (!const_operand(e->operands[1].get(), &c) || c <= 0) return kAll;
      DInterval a = eval_interval(e->operands[0].get(), loops, ranges);
      // Within one period the remainder is monotonic; across periods it wraps.
      if (std::floor(a.lo / c) == std::floor(a.hi / c))
        return {a.lo - c * std::floor(a.lo / c), a.hi - c * std::floor(a.hi / c)};
      return {0, c - 1};
    }
    case ExprKind::Min: {
      DInterval a = eval_interval(e->operands[0].get(), loops, ranges);
      DInterval b = eval_interval(e->operands[1].get(), loops, ranges);
      return {std::min(a.lo, b.lo), std::min(a.hi, b.hi)};
    }
    case ExprKind::Max: {
      DInterval a = eval_interval(e->operands[0].get(), loops, ranges);
      DInterval b = eval_interval(e->operands[1].get(), loops, ranges);
      return {std::max(a.lo, b.lo), std::max(a.hi, b.hi)};
    }
    case ExprKind::Select: {
      DInterval a = eval_interval(e->operands[1].get(), loops, ranges);
      DInterval b = eval_interval(e->operands[2].get(), loops, ranges);
      return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
    }
    case ExprKind::EQ: case ExprKind::NE: case ExprKind::LT: case ExprKind::LE:
    case ExprKind::GT: case ExprKind::GE: case ExprKind::And: case ExprKind::Or:
    case ExprKind::Not:
      return {0, 1};
    case ExprKind::Cast:
      if (e->dtype != ir::DType::Float && e->operands[0]->dtype != ir::DType::Float)
        return eval_interval(e->operands[0].get(), loops, ranges);
      return kAll;
    default: return kAll;  // loads, calls, floats, reductions
  }
}

double eval_point(const ExprNode* e, const LoopVars& loops, const double* values) {
  auto op = [&](int k) { return eval_point(e->operands[k].get(), loops, values); };
  switch (e->kind) {
    case ExprKind::IntImm: return double(e->int_value);
    case ExprKind::Var: {
      int pos = loops.find(e);
      return pos >= 0 ? values[pos] : 0;
    }
    case ExprKind::Add: return op(0) + op(1);
    case ExprKind::Sub: return op(0) - op(1);
    case ExprKind::Mul: return op(0) * op(1);
    case ExprKind::FloorDiv: {
      double b = op(1);
      return b == 0 ? 0 : std::floor(op(0) / b);
    }
    case ExprKind::FloorMod: {
      double a = op(0), b = op(1);
      return b == 0 ? 0 : a - b * std::floor(a / b);
    }
    case ExprKind::Min: return std::min(op(0), op(1));
    case ExprKind::Max: return std::max(op(0), op(1));
    case ExprKind::Select: return op(0) != 0 ? op(1) : op(2);
    case ExprKind::EQ: return op(0) == op(1);
    case ExprKind::NE: return op(0) != op(1);
    case ExprKind::LT: return op(0) < op(1);
    case ExprKind::LE: return op(0) <= op(1);
    case ExprKind::GT: return op(0) > op(1);
    case ExprKind::GE: return op(0) >= op(1);
    case ExprKind::And: return op(0) != 0 && op(1) != 0;
    case ExprKind::Or: return op(0) != 0 || op(1) != 0;
    case ExprKind::Not: return op(0) == 0;
    case ExprKind::Cast: return e->dtype == ir::DType::Float ? 0 : op(0);
    default: return 0;
  }
}

}  // namespace bcd::costmodel::detail
