// Hand-written CUDA sources in the form codegen_cuda emits (launch header first,
// extern "C" kernels taking inputs, outputs, then intermediates), shared by the
// CUDA runtime tests. They work on kCudaN floats: out = 2 * in, unless broken on
// purpose.
#pragma once
#include <string>

#include "runtime/cuda_driver.h"

namespace bcd::test {

constexpr int kCudaN = 1024;

// Two launches through an intermediate buffer: tmp = in + 1, then out = 2 * tmp - 2.
// Exercises launch order and the intermediate's argument position. `salt` makes
// the source (and so its cache entry) unique.
inline std::string cuda_two_step_source(const std::string& func, const std::string& salt = "") {
  return "// bcd-launch " + func + " " + func + "_k0 4 1 1 256 1 1\n"
         "// bcd-launch " + func + " " + func + "_k1 8 1 1 128 1 1\n"
         "// bcd-buffer " + func + " tmp 1024\n"
         "// " + salt + "\n"
         "extern \"C\" __global__ void " + func + "_k0(float* a, float* b, float* tmp) {\n"
         "  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
         "  tmp[i] = a[i] + 1.0f;\n"
         "}\n"
         "extern \"C\" __global__ void " + func + "_k1(float* a, float* b, float* tmp) {\n"
         "  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
         "  b[i] = tmp[i] * 2.0f - 2.0f;\n"
         "}\n";
}

// One launch of 4 x 256 threads, one element each, with `body` computing b[i].
inline std::string cuda_one_step_source(const std::string& func, const std::string& body) {
  return "// bcd-launch " + func + " " + func + "_k 4 1 1 256 1 1\n"
         "extern \"C\" __global__ void " + func + "_k(float* a, float* b) {\n"
         "  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
         "  " + body + "\n"
         "}\n";
}

inline const std::string kCudaScale = "b[i] = a[i] * 2.0f;";
inline const std::string kCudaWrong = "b[i] = a[i] * 2.0f + 0.5f;";
// A store through a null pointer: an illegal address on every GPU. The pointer is
// volatile so that the compiler cannot see (and drop) the null store.
inline const std::string kCudaIllegalAddress = "float* volatile p = nullptr; p[i] = a[i];";
// Spins forever. The loop reads the SM clock, an opaque volatile instruction: a
// volatile local flag was not enough, NVRTC dropped that loop on an H200 and the
// kernel finished in 0.3 ms.
inline const std::string kCudaHang = "while (clock64() >= 0) {} b[i] = a[i];";

}  // namespace bcd::test

// Skips the current test unless a CUDA device can be used, saying why not.
#define BCD_SKIP_WITHOUT_CUDA_DEVICE()                                   \
  do {                                                                   \
    std::string bcd_why_;                                                \
    if (!::bcd::runtime::cuda_device_available(&bcd_why_))               \
      GTEST_SKIP() << "no CUDA device: " << bcd_why_;                    \
  } while (0)
