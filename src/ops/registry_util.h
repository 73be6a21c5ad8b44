// Helpers for the operator definitions of the registry (internal to the ops module):
// typed, validated access to parameters, and the per-family definition lists.
#pragma once
#include <string>
#include <vector>

#include "ops/attrs.h"
#include "ops/registry.h"

namespace bcd::ops::detail {

// Reads parameters of operator `op`; every failure names the operator and the key.
class ParamReader {
 public:
  ParamReader(const OpParams& params, std::string op) : p_(params), op_(std::move(op)) {}
  const std::string& op() const { return op_; }
  // An integer >= 1 (sizes, channels, kernel extents).
  int64_t size(const std::string& key, int64_t fallback) const;
  int64_t integer(const std::string& key, int64_t fallback) const;
  // 0 or 1.
  bool flag(const std::string& key, bool fallback) const;
  double number(const std::string& key, double fallback) const;
  std::vector<int64_t> ints(const std::string& key, std::vector<int64_t> fallback) const;
  // A shape: every dimension >= 1.
  std::vector<int64_t> shape(const std::string& key, std::vector<int64_t> fallback) const;
  Layout layout(Layout fallback) const;
  std::string text(const std::string& key, const std::string& fallback) const;

 private:
  const OpParams& p_;
  std::string op_;
};

// The outputs of a single-output reference (NDArray is move-only, so no init list).
inline std::vector<NDArray> single(NDArray out) {
  std::vector<NDArray> v;
  v.push_back(std::move(out));
  return v;
}

void add_nn_ops(std::vector<OpDef>& defs);      // conv, dense, matmul, pooling
void add_tensor_ops(std::vector<OpDef>& defs);  // normalization, elementwise, layout

}  // namespace bcd::ops::detail
