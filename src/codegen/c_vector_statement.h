// Internal to the C generator: a vectorized loop whose length no vector register
// width divides (13, 11 or 9 lanes: the columns of a 13x13, 55x55 or 27x27 image)
// printed as one statement on a clang vector of exactly that many floats
// (`float __attribute__((ext_vector_type(13)))`). Left a loop, clang fully unrolls
// it and its SLP vectorizer covers 13 lanes with an 8-, a 4- and a 1-lane
// instruction, three multiply-adds where one would do; as one vector statement,
// LLVM widens the arithmetic to a single 16-lane instruction (only the loads and
// stores are split), and a reduction's accumulators stay in registers across the
// loops around the statement, as they did.
#pragma once
#include <functional>
#include <optional>
#include <string>

#include "codegen/vector_access.h"

namespace bcd::codegen::detail {

// Whether a vectorized loop of `extent` iterations is worth one vector statement:
// short enough for a few registers (64 lanes: four 16-lane ones). Powers of two
// too: a row of 64 output channels (NHWC) left a loop inside unrolled rows kept
// its accumulators in memory (a 1x1 conv 512->64 on 13x13: 0.70 ms as loops,
// 0.035 ms as statements).
bool wants_vector_statement(int64_t extent);

// The C name of the vector of `lanes` floats, and its definition (a typedef that
// reads and writes unaligned memory and aliases floats, and element-wise min and
// max over it), printed once per translation unit before its first use.
std::string vector_type_name(int64_t lanes);
std::string vector_type_definition(int64_t lanes);

// The loop over `v` of `extent` iterations around `store` as one C statement on
// vector_type_name(extent), or nullopt where that would compute something else or
// cannot be said: the store must write `base + v` (contiguous); every load that
// depends on v must read `base + v`; loads of the stored buffer must read exactly
// the element each lane writes (else a lane would see the stores of the lanes before
// it); and the part of the value that depends on v must be float arithmetic
// (+ - * /, min, max, and selects on a condition the same for every lane).
// `scalar` prints an expression that does not depend on v, `name` a buffer.
std::optional<std::string> print_vector_statement(const lower::StmtNode& store, const ir::Expr& v, int64_t extent,
                                                  const ir::RangeMap& ranges, const FlatIndex& flat,
                                                  const std::function<std::string(const ir::Expr&)>& scalar,
                                                  const std::function<std::string(const ir::OpNode*)>& name);

}  // namespace bcd::codegen::detail
