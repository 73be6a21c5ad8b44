#include "codegen/c_vector_math.h"

namespace bcd::codegen::detail {

std::string c_vector_math_helpers() {
  // exp(x) = 2^n exp(r), n = rint(x / ln 2), |r| <= ln(2) / 2: r with ln 2 split in
  // a short high part (n * hi is exact) and a low part; exp(r) by its Taylor series
  // to r^7 (truncation below 1e-8 relative); 2^n in the exponent bits, in two
  // factors at the top so that exp(88.72) = 2^128 * 0.99... stays finite. Selects,
  // not branches, pick the ends, so every lane runs the same instructions.
  //
  // erf: for |x| >= 0.5, 1 - erfc(|x|) with erfc from the Chebyshev fit of
  // Numerical Recipes (erfcc: t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), fractional
  // error below 1.2e-7 for every z); below 0.5, where 1 - erfc cancels, the
  // Maclaurin series to x^13 (the next term is under 5e-10 there).
  //
  // tanh: 1 - 2 / (exp(2|x|) + 1) with the sign of x; below 0.4, where that
  // cancels, the Maclaurin series to x^13 (the next term is under 2e-9 there).
  return R"(static inline float bcd_expf(float x) {
  float c = x < -87.3365f ? -87.3365f : (x > 88.7228f ? 88.7228f : x);
  float n = rintf(c * 1.44269504f);
  float r = c - n * 0.693359375f - n * -2.12194440e-4f;
  float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666667f + r * (0.0416666667f + r * (0.00833333333f +
            r * (0.00138888889f + r * 0.000198412698f))))));
  int k = (int)n;
  int bits = ((k > 0 ? k - 1 : k) + 127) << 23;
  float scale;
  __builtin_memcpy(&scale, &bits, sizeof scale);
  float y = p * (k > 0 ? 2.0f : 1.0f) * scale;
  y = x > 88.7228f ? INFINITY : y;
  y = x < -87.3365f ? 0.0f : y;
  return x != x ? x : y;
}
static inline float bcd_erff(float x) {
  float z = fabsf(x);
  float t = 1.0f / (1.0f + 0.5f * z);
  float tail = t * bcd_expf(-z * z - 1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f +
               t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f +
               t * (-0.82215223f + t * 0.17087277f)))))))));
  float x2 = x * x;
  float series = 1.12837917f * x * (1.0f + x2 * (-0.333333333f + x2 * (0.1f + x2 * (-0.0238095238f +
                 x2 * (0.00462962963f + x2 * (-0.000757575758f + x2 * 0.000106837607f))))));
  return z < 0.5f ? series : (x >= 0.0f ? 1.0f - tail : tail - 1.0f);
}
static inline float bcd_tanhf(float x) {
  float z = fabsf(x);
  float big = 1.0f - 2.0f / (bcd_expf(2.0f * z) + 1.0f);
  float x2 = x * x;
  float series = x * (1.0f + x2 * (-0.333333333f + x2 * (0.133333333f + x2 * (-0.0539682540f +
                 x2 * (0.0218694885f + x2 * (-0.00886323552f + x2 * 0.00359212803f))))));
  return z < 0.4f ? series : (x >= 0.0f ? big : -big);
}
static inline float bcd_sigmoid(float x) { return 1.0f / (1.0f + bcd_expf(-x)); }
)";
}

}  // namespace bcd::codegen::detail
