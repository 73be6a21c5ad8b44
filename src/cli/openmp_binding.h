// The OpenMP thread-binding variables (OMP_PROC_BIND, OMP_PLACES,
// GOMP_CPU_AFFINITY) reach only the kernels' OpenMP runtime and the processes
// bcd starts, never the one XGBoost brings (openmp_binding.cpp says why).
#pragma once

namespace bcd::cli {

// Puts back the variables hidden before the libraries started; main() calls it first.
void restore_openmp_binding();

}  // namespace bcd::cli
