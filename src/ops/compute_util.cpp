#include "ops/compute_util.h"

#include "support/error.h"

namespace bcd::ops::detail {

std::vector<ir::Expr> broadcast_index(const std::vector<int64_t>& in_shape,
                                      const std::vector<ir::Expr>& out_index) {
  std::vector<ir::Expr> idx;
  size_t skip = out_index.size() - in_shape.size();
  for (size_t d = 0; d < in_shape.size(); ++d)
    idx.push_back(in_shape[d] == 1 ? ir::Expr(0) : out_index[skip + d]);
  return idx;
}

ir::Expr all_of(const std::vector<ir::Expr>& conds) {
  if (conds.empty()) return ir::bool_imm(true);
  ir::Expr c = conds[0];
  for (size_t i = 1; i < conds.size(); ++i) c = ir::logical_and(c, conds[i]);
  return c;
}

ir::Expr minus(const ir::Expr& x, int64_t c) { return c == 0 ? x : x - ir::Expr(c); }

void check_defined(const ir::Tensor& t, const std::string& what, const std::string& op) {
  if (!t) fail("{}: {} is missing", op, what);
}

}  // namespace bcd::ops::detail
