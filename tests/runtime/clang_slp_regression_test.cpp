// Programs the kernel compiler once got wrong, each checked against the naive
// reference (runtime/compiler.cpp says which flags were to blame and what avoids it;
// the equivalence oracle holds the search States among them).
#include <gtest/gtest.h>

#include <random>

#include "ops/nn.h"
#include "ops/reference.h"
#include "runtime/run_dag.h"

namespace bcd {
namespace {

// A transpose stage feeding a 2 x 3 x 3 batch_matmul, unscheduled: clang 19.1.7's
// SLP vectorizer got it wrong (errors of order 1, or garbage) at its default
// recursion depth with -fno-signed-zeros, -ffp-contract=fast and 512-bit vectors.
TEST(ClangSlpRegression, TransposeFeedingASmallBatchMatmul) {
  ir::Tensor a = ir::placeholder({2, 3, 4}, "a"), b = ir::placeholder({2, 4, 3}, "b");
  ir::ComputeDAG dag({a, b}, {ops::batch_matmul(a, ops::transpose(b, {0, 2, 1}))});
  NDArray x({2, 3, 4}), y({2, 4, 3});
  std::mt19937_64 rng(1);
  x.fill_random(rng);
  y.fill_random(rng);
  const auto out = runtime::run_dag_default(dag, {&x, &y});
  const NDArray expected = ops::ref::batch_matmul(x, ops::ref::transpose(y, {0, 2, 1}));
  EXPECT_LT(compare_arrays(out[0], expected).max_rel, 1e-5);
}

}  // namespace
}  // namespace bcd
