// Integer simplification of index expressions and interval analysis over loop
// ranges. Index arithmetic after split/fuse (i*8 + j, floordiv(f, 7), floormod(...))
// is affine with floor division by constants; these two are what make lowered
// programs readable and bound inference tight.
#pragma once
#include <cstdint>
#include <unordered_map>

#include "ir/expr.h"

namespace bcd::ir {

// A closed integer interval [min, max].
struct Interval {
  int64_t min = 0;
  int64_t max = 0;
  static Interval point(int64_t v) { return {v, v}; }
  bool is_point() const { return min == max; }
  int64_t extent() const { return max - min + 1; }
};

using RangeMap = std::unordered_map<const ExprNode*, Interval>;

// An interval this analysis can prove for an integer or boolean expression (booleans
// are 0/1), given intervals of the variables in it. A variable missing from `ranges`
// is unbounded, which makes the result unbounded (INT64_MIN/INT64_MAX) in that
// direction; arithmetic saturates at those sentinels instead of overflowing. Both the
// expression and its simplified form are bounded and the results intersected, so
// x - x is [0, 0]. Each branch of a select is bounded under what its condition says
// about single variables (select(i < 10, i, 0) is within [.., 9]). Float expressions,
// loads and calls are unbounded.
Interval bound(const Expr& e, const RangeMap& ranges);

// Simplifies an expression: constant folding, normalization of affine integer
// expressions (sum of coefficient*term plus constant, terms in order of first
// appearance, e.g. `((y * 3) + x) - 4`), floordiv/floormod by constants where the
// ranges prove it (floordiv(x, c) = 0 and floormod(x, c) = x when 0 <= x < c;
// floordiv(a*c + b, c) = a + floordiv(b, c) for any a, b), min/max and comparisons
// decided by intervals, select with a constant condition. Variables whose range is a
// single point become that constant; reduction axes have their [0, extent) range
// inside a Reduce. Float expressions are only constant-folded, never reassociated.
// The result has the dtype of the input, and an unchanged input comes back as the
// same node.
Expr simplify(const Expr& e, const RangeMap& ranges = {});

// Proves a condition using the ranges: true only if it holds (is non-zero) at every
// point. False means "not proven", not "false".
bool can_prove(const Expr& cond, const RangeMap& ranges = {});

}  // namespace bcd::ir
