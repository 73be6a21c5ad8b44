// Indices as mixed-radix numbers of loop digits. Exact splits make every index of a
// tiled access a sum like o0*64 + o1*16 + o2 (extents 2, 4, 16 for a dimension of
// 128), and fused loops contribute floordiv/floormod parts of their variable; such a
// sum names one element per combination of digits, so the tensor can be stored in
// any order of those digits. The layout rewrites of weights and of local
// accumulators both start from this decomposition.
#pragma once
#include <optional>
#include <vector>

#include "ir/expr.h"

namespace bcd::lower {

struct Loop {
  ir::Expr var;
  int64_t extent = 0;
  int depth = 0;  // 0 for the outermost loop of the region considered
};
using LoopStack = std::vector<Loop>;

// A digit of a loop variable: floormod(floordiv(var, divisor), modulus), modulus 0
// meaning none. A plain loop variable is (var, 1, 0); a fused loop's parts are
// digits of the fused variable (floordiv(f, 4) and floormod(f, 4)).
struct Digit {
  const ir::ExprNode* var = nullptr;
  int64_t divisor = 1;
  int64_t modulus = 0;
  auto operator<=>(const Digit&) const = default;
};

// A digit with the loop it comes from: one dimension of a tensor stored in loop order.
struct Axis {
  Digit digit;
  ir::Expr var;        // the loop's variable
  int depth = 0;       // of the loop
  int64_t extent = 0;  // values the digit takes
  ir::Expr value() const;  // the digit as an expression of the loop variable
  // Outer loops first; within a loop, the digit of the larger divisor first.
  bool operator<(const Axis& o) const {
    return depth != o.depth ? depth < o.depth : digit.divisor > o.digit.divisor;
  }
};

// One digit of one dimension's index: index = sum(coefficient * digit).
struct Term {
  Axis axis;
  int64_t coefficient = 0;
  int dim = 0;  // of the original tensor
};

// The digits that index each dimension, least significant first, when every
// dimension is an exact mixed-radix sum of its digits (the digits' box has exactly
// the shape's elements and every index stays in bounds), no digit in two dimensions.
// Digits of loops not in `loops`, and constants, make it nullopt; digits that take
// one value (extent-1 loops) index nothing and are left out.
std::optional<std::vector<std::vector<Term>>> mixed_radix_terms(const std::vector<ir::Expr>& indices,
                                                                const LoopStack& loops,
                                                                const std::vector<int64_t>& shape);

// The terms of every dimension in loop order (outermost loop first): the dimensions
// of the tensor stored in the order its loops visit it.
std::vector<Term> in_loop_order(const std::vector<std::vector<Term>>& dims);

// True if loops visiting `order` read the tensor in its own layout already (each
// dimension in turn, its digits most significant first): nothing to rewrite.
bool visits_in_original_order(const std::vector<Term>& order);

}  // namespace bcd::lower
