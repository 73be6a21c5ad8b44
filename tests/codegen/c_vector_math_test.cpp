// The C generator's own exp, erf, tanh and sigmoid (c_vector_math.h), through generated
// kernels, against double-precision libm over the whole float range: every value
// from -100 to 100 in steps of 1/64 and at scales down to 1e-30, the ends of exp's
// range, the infinities and NaN. And the reason they exist: the loops vectorize.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <functional>
#include <limits>

#include "codegen/codegen_c.h"
#include "lower/lower.h"
#include "ops/nn.h"
#include "runtime/run_dag.h"

namespace bcd {
namespace {

std::vector<float> test_values() {
  std::vector<float> v;
  for (int i = -6400; i <= 6400; ++i) v.push_back(static_cast<float>(i) / 64.0f);
  for (float s = 1e-30f; s < 1.0f; s *= 3.7f) v.insert(v.end(), {s, -s});
  for (float e : {-87.3f, -87.33f, -87.34f, -87.5f, -88.0f, -103.0f, 88.0f, 88.7f, 88.72f, 88.7228f, 88.73f, 89.0f,
                  1e30f, -1e30f, FLT_MAX, -FLT_MAX})
    v.push_back(e);
  v.insert(v.end(), {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                     std::numeric_limits<float>::quiet_NaN()});
  return v;
}

NDArray run(ir::Tensor (*op)(const ir::Tensor&), const std::vector<float>& values) {
  ir::Tensor x = ir::placeholder({static_cast<int64_t>(values.size())}, "x");
  ir::ComputeDAG dag({x}, {op(x)});
  NDArray in({static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) in[static_cast<int64_t>(i)] = values[i];
  return std::move(runtime::run_dag_default(dag, {&in})[0]);
}

// Within `rel` of the double result (rounded to float) where that is a normal float;
// 0 (or the subnormal itself) below FLT_MIN; the same infinity or NaN.
void expect_close(ir::Tensor (*op)(const ir::Tensor&), const std::function<double(double)>& exact, double rel,
                  double abs) {
  std::vector<float> values = test_values();
  NDArray out = run(op, values);
  for (size_t i = 0; i < values.size(); ++i) {
    const float want = static_cast<float>(exact(values[i]));
    const float got = out[static_cast<int64_t>(i)];
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << "x = " << values[i];
    } else if (std::isinf(want)) {
      EXPECT_EQ(got, want) << "x = " << values[i];
    } else if (std::fabs(want) < FLT_MIN) {
      EXPECT_LE(std::fabs(got), FLT_MIN) << "x = " << values[i];
    } else {
      EXPECT_LE(std::fabs(got - want), rel * std::fabs(want) + abs) << "x = " << values[i] << ": " << got
                                                                    << " against " << want;
    }
  }
}

TEST(CVectorMath, ExpIsWithinTwoUlpsOverTheFloatRange) {
  expect_close(ops::exp, [](double x) { return std::exp(x); }, 2.5e-7, 0);
}

TEST(CVectorMath, ErfIsWithinThreeTenMillionths) {
  expect_close(ops::erf, [](double x) { return std::erf(x); }, 3e-7, 2e-7);
}

TEST(CVectorMath, TanhIsWithinThreeTenMillionths) {
  expect_close(ops::tanh, [](double x) { return std::tanh(x); }, 3e-7, 1e-38);
}

TEST(CVectorMath, SigmoidAndGeluFollow) {
  expect_close(ops::sigmoid, [](double x) { return 1 / (1 + std::exp(-x)); }, 5e-7, 0);
  expect_close(ops::gelu, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }, 5e-7, 1e-7);
}

TEST(CVectorMath, TheirLoopsCallNoLibmFunction) {
  ir::Tensor x = ir::placeholder({4096}, "x");
  for (auto op : {ops::exp, ops::erf, ops::tanh, ops::gelu, ops::sigmoid}) {
    ir::ComputeDAG dag({x}, {op(x)});
    std::string code = codegen::codegen_c({lower::lower_default(dag, "k")});
    std::string kernel = code.substr(code.find("void k("));
    for (const char* libm : {"expf(", "erff(", "tanhf("}) {
      size_t at = kernel.find(libm);
      EXPECT_TRUE(at == std::string::npos || kernel[at - 1] == '_') << kernel;  // bcd_expf( is fine
    }
    EXPECT_NE(kernel.find("bcd_"), std::string::npos) << kernel;
  }
}

}  // namespace
}  // namespace bcd
