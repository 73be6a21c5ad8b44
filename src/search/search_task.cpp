#include "search/search_task.h"

#include <algorithm>
#include <thread>

namespace bcd::search {

HardwareParams detect_cpu() {
  HardwareParams hw;
  hw.num_cores = std::max(1u, std::thread::hardware_concurrency());
#if defined(__AVX512F__)
  hw.vector_lanes = 16;
#elif defined(__AVX2__) || defined(__AVX__)
  hw.vector_lanes = 8;
#else
  // Kernels are compiled with -march=native; the host binary may be built for a
  // generic target, so ask the CPU directly.
  hw.vector_lanes = __builtin_cpu_supports("avx512f") ? 16 : __builtin_cpu_supports("avx2") ? 8 : 4;
#endif
  return hw;
}

}  // namespace bcd::search
