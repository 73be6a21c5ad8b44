// Internal to codegen: which memory accesses of a loop the CUDA generator may do
// as float4/float2 vector accesses. A loop qualifies when its body is one store;
// an access to global or shared memory is a vector access when its flat index is
// `base + v` in the loop variable v (contiguous) with `base` a multiple of the
// lane count for every value of the other variables (aligned, given buffers that
// start 16-byte aligned). Anything else stays a scalar access per lane, so a loop
// mixes both; a loop with no vector access is left alone.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "ir/expr.h"
#include "ir/simplify.h"
#include "lower/loop_ir.h"

namespace bcd::codegen::detail {

struct VectorPlan {
  int lanes = 0;              // 4 or 2 consecutive iterations at once; 0: not vectorized
  bool vector_store = false;  // the store writes its lanes with one vector access
  std::vector<ir::Expr> vector_loads;  // loads read with one vector access each
};

// The flat index of an access, as the generator computes it.
using FlatIndex = std::function<ir::Expr(const ir::OpNode* buffer, const std::vector<ir::Expr>& indices)>;

// The plan for a loop over `v` of `extent` iterations whose body is `store`.
// `vector_memory(buffer)` says whether the buffer lives in memory vector accesses
// may use (global or shared; registers stay scalar). Loads under a select's branch
// are evaluated only when chosen, so they stay scalar (a vector load there could
// read outside a buffer). A load of the stored buffer may be a vector load, and the
// store a vector store, only where each lane reads exactly the element it writes.
VectorPlan plan_vector_access(const lower::StmtNode& store, const ir::Expr& v, int64_t extent,
                              const ir::RangeMap& ranges, const FlatIndex& flat,
                              const std::function<bool(const ir::OpNode*)>& vector_memory);

// `base` where `index` is `base + v` (contiguous in v), else nullopt.
std::optional<ir::Expr> contiguous_base(const ir::Expr& index, const ir::Expr& v, const ir::RangeMap& ranges);

// Is `e` a multiple of `n` whatever its variables are? (Conservative: false when
// not provable from its form.)
bool is_multiple_of(const ir::Expr& e, int64_t n);

}  // namespace bcd::codegen::detail
