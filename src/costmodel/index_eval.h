// Evaluation of buffer index expressions over the loops around a store, for the
// feature extractor. It is a deliberately small and fast cousin of ir::bound: the
// extractor asks for the region a buffer access touches at every loop level of
// every store of thousands of programs, and ir::bound simplifies each expression
// first, which is far too slow for that. Intervals are doubles (exact below 2^53)
// so that products never overflow; anything the evaluator cannot bound (loads,
// calls, float values) is "unbounded" and callers clamp it to the buffer shape.
#pragma once
#include <cstdint>
#include <vector>

#include "ir/expr.h"

namespace bcd::costmodel::detail {

struct DInterval {
  double lo = 0;
  double hi = 0;
};

constexpr double kUnbounded = 1e18;

// The loop variables around a store, outermost first; a variable's position in
// this list is the index into the ranges/values arrays below.
class LoopVars {
 public:
  void clear() { vars_.clear(); }
  void push(const ir::ExprNode* var) { vars_.push_back(var); }
  void pop() { vars_.pop_back(); }
  int size() const { return static_cast<int>(vars_.size()); }
  // Position of a loop variable, or -1 for a variable bound by no loop.
  int find(const ir::ExprNode* var) const {
    for (int i = size() - 1; i >= 0; --i)
      if (vars_[i] == var) return i;
    return -1;
  }

 private:
  std::vector<const ir::ExprNode*> vars_;
};

// The interval of an integer expression when loop i ranges over ranges[i].
// A variable bound by no loop counts as 0.
DInterval eval_interval(const ir::ExprNode* e, const LoopVars& loops, const DInterval* ranges);

// The value of an integer expression when loop i has the value values[i]. Loads,
// calls and floats evaluate to 0.
double eval_point(const ir::ExprNode* e, const LoopVars& loops, const double* values);

}  // namespace bcd::costmodel::detail
