// Small helpers for writing compute declarations (internal to the ops module).
#pragma once
#include <string>
#include <vector>

#include "ir/tensor.h"

namespace bcd::ops::detail {

// The indices into a tensor of shape `in_shape` that numpy broadcasting reads for the
// output position `out_index` (right-aligned; size-1 dimensions read index 0).
std::vector<ir::Expr> broadcast_index(const std::vector<int64_t>& in_shape,
                                      const std::vector<ir::Expr>& out_index);

// Logical AND of a list of conditions; `true` when empty.
ir::Expr all_of(const std::vector<ir::Expr>& conds);

// x - c, or x itself when c == 0 (so unpadded indices stay plain variables, which the
// access analysis recognises as elementwise).
ir::Expr minus(const ir::Expr& x, int64_t c);

// Fails with "<op>: <what> is null" for a missing tensor argument.
void check_defined(const ir::Tensor& t, const std::string& what, const std::string& op);

}  // namespace bcd::ops::detail
