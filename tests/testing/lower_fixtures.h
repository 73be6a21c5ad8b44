// Small programs and inputs shared by the lowering tests.
#pragma once
#include <cstdint>
#include <vector>

#include "ir/compute_dag.h"
#include "ir/tensor.h"
#include "support/ndarray.h"

namespace bcd::testutil {

// out[m, n] = sum_k data[m, k] * weight[n, k], with M = 8, K = 12, N = 16.
ir::ComputeDAG small_dense_dag();

// Seeded uniform [-1, 1) inputs of the DAG's shapes.
std::vector<NDArray> random_inputs(const ir::ComputeDAG& dag, uint64_t seed);

}  // namespace bcd::testutil
