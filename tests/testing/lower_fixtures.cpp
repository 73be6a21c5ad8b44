#include "testing/lower_fixtures.h"

#include <random>

namespace bcd::testutil {

using namespace bcd::ir;

ComputeDAG small_dense_dag() {
  Tensor data = placeholder({8, 12}, "data");
  Tensor weight = placeholder({16, 12}, "weight");
  IterVar k = reduce_axis(12, "k");
  Tensor out = compute(
      {8, 16}, [&](const std::vector<Expr>& i) { return sum(data(i[0], k.var) * weight(i[1], k.var), {k}); }, "out",
      "dense");
  return ComputeDAG({data, weight}, {out});
}

std::vector<NDArray> random_inputs(const ComputeDAG& dag, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<NDArray> inputs;
  for (const auto& t : dag.inputs()) {
    inputs.emplace_back(t->shape);
    inputs.back().fill_random(rng, -1.0f, 1.0f);
  }
  return inputs;
}

}  // namespace bcd::testutil
