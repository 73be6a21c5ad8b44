// Generic traversals of expressions: visit every node, rebuild bottom-up, substitute
// variables. Passes are written as small lambdas on top of these.
#pragma once
#include <functional>
#include <unordered_map>

#include "ir/expr.h"

namespace bcd::ir {

// Calls fn on every node, parents before children; fn returns false to skip children.
void visit(const Expr& e, const std::function<bool(const Expr&)>& fn);

// Rebuilds `e` bottom-up: children are rewritten first, then fn sees the node with
// its new children and returns a replacement (or the node itself). Unchanged
// subtrees are shared, not copied.
Expr rewrite(const Expr& e, const std::function<Expr(const Expr&)>& fn);

using VarMap = std::unordered_map<const ExprNode*, Expr>;
// Replaces variables (by identity) with expressions.
Expr substitute(const Expr& e, const VarMap& map);

// Structural equality (variables compare by identity, tensors by identity).
bool structural_equal(const Expr& a, const Expr& b);

// Does `e` mention variable `v`?
bool uses_var(const Expr& e, const Expr& v);

}  // namespace bcd::ir
