// Internal to codegen: what the C and CUDA generators print alike. Expressions,
// identifiers and row-major flat indices are spelled the same in both languages; the
// helpers they call (bcd_floordiv, bcd_minf, bcd_sigmoid, ...) and the INFINITY and
// NAN constants are defined by each generator's prelude.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/expr.h"
#include "ir/simplify.h"
#include "ir/tensor.h"
#include "lower/loop_ir.h"

namespace bcd::codegen::detail {

// Indices are 32-bit ints: every buffer must be addressable with 31 bits.
constexpr int64_t kMaxElements = (int64_t{1} << 31) - 1;

// A C identifier made from `name` (other characters become '_').
std::string sanitize(const std::string& name);

// A float literal that reads back to the same float.
std::string float_literal(double v);

// The scalar helpers printed expressions call (bcd_floordiv, bcd_minf, ...), one
// definition per line, each declared with `qualifier` ("static inline" in C,
// "__device__ __forceinline__" in CUDA). Float min/max are functions so that
// operands are evaluated once and a vectorizer sees a plain select.
std::string scalar_helpers(const std::string& qualifier);

// Fails when a buffer has more elements than int indices address.
void check_size(const std::vector<int64_t>& shape, const std::string& name);

// Does any store under `s` write to an element that does not depend on `v`? Then
// the loop over `v` accumulates and its iterations are not independent.
bool has_loop_carried_store(const lower::Stmt& s, const ir::Expr& v);

// Names and prints the expressions of one function. Generators derive from it and
// keep its maps current as they enter and leave loops and allocations.
class ExprPrinter {
 protected:
  // A fresh identifier made from `base`, distinct from every one handed out before.
  std::string unique(const std::string& base);
  std::string buffer_name(const ir::OpNode* b);
  std::string var_name(const ir::Expr& v);
  // Row-major flat offset into a buffer as allocated, simplified over loop ranges.
  ir::Expr flat_expr(const ir::OpNode* buffer, const std::vector<ir::Expr>& indices);
  std::string flat_index(const ir::OpNode* buffer, const std::vector<ir::Expr>& indices);
  std::string expr(const ir::Expr& e);

  std::unordered_map<const ir::OpNode*, std::string> buffers_;
  std::unordered_map<const ir::OpNode*, std::vector<int64_t>> shapes_;
  std::unordered_map<const ir::ExprNode*, std::string> vars_;
  // Loads (by node) printed as this text instead, e.g. a lane of a vector load.
  std::unordered_map<const ir::ExprNode*, std::string> load_overrides_;
  std::unordered_set<std::string> taken_;
  ir::RangeMap ranges_;
  // exp, erf, tanh and the sigmoid call the vectorizable helpers of c_vector_math.h (C).
  bool vector_math_ = false;
};

}  // namespace bcd::codegen::detail
