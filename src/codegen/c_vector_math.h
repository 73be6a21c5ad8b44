// Internal to the C generator: exp, erf, tanh and the sigmoid as branch-free C that
// clang vectorizes. libm's expf, erff and tanhf are calls it cannot (without a vector math
// library), so a loop over them ran one element at a time: BERT's GELU (erff over
// 128 x 3072 values) took 4-8 ms on one core against 0.35 ms for these, and its
// cost depended on the values (erff branches on their magnitude), so a layer timed
// on the tuner's random inputs ran 1.75x slower on the network's own.
#pragma once
#include <string>

namespace bcd::codegen::detail {

// The definitions of bcd_expf, bcd_erff, bcd_tanhf and bcd_sigmoid (static inline),
// printed once per C translation unit. Accuracy over all floats: exp within 1e-7
// relative (results below FLT_MIN are 0), erf within 2e-7 absolute and 3e-7
// relative, tanh within 3e-7 relative; all keep NaN and the infinities.
std::string c_vector_math_helpers();

}  // namespace bcd::codegen::detail
