// CudaKernel, the one launch path for generated CUDA programs (measurement worker
// and whole networks).
#include <gtest/gtest.h>

#include <random>

#include "runtime/cuda_compiler.h"
#include "runtime/cuda_kernel.h"
#include "runtime/cuda_launch.h"
#include "runtime/cuda_test_kernels.h"

using namespace bcd;

TEST(CudaKernel, WithoutADeviceLoadingFailsCleanly) {
  std::string why;
  if (runtime::cuda_device_available(&why)) GTEST_SKIP() << "a CUDA device is present";
  runtime::CudaProgram program{{{"k", {1, 1, 1}, {1, 1, 1}}}, {}};
  try {
    runtime::CudaKernel kernel("/nonexistent.ptx", program);
    ADD_FAILURE() << "loaded a kernel without a device";
  } catch (const runtime::CudaError& e) {
    EXPECT_NE(std::string(e.what()).find("no CUDA device"), std::string::npos) << e.what();
  }
}

TEST(CudaKernelGpu, RunsAProgramWithAnIntermediateBuffer) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  if (!runtime::nvrtc_available()) GTEST_SKIP() << "NVRTC is not available";
  std::string source = test::cuda_two_step_source("two_step_direct");
  std::string module = runtime::compile_cuda(source, runtime::cuda_build_arch());
  runtime::CudaContext context(0);
  runtime::CudaKernel kernel(module, runtime::parse_cuda_program(source, "two_step_direct"));
  EXPECT_EQ(kernel.program().launches.size(), 2u);

  NDArray in({test::kCudaN}), out({test::kCudaN});
  std::mt19937_64 rng(7);
  in.fill_random(rng);
  out.fill(-100.0f);
  kernel.run({&in}, {&out});
  for (int i = 0; i < test::kCudaN; ++i) ASSERT_NEAR(out[i], 2.0f * in[i], 1e-5) << "at " << i;

  // A second call reuses the loaded module and buffers.
  in.fill(3.0f);
  kernel.run({&in}, {&out});
  for (int i = 0; i < test::kCudaN; ++i) ASSERT_NEAR(out[i], 6.0f, 1e-5) << "at " << i;
}

TEST(CudaKernelGpu, MissingKernelNamesIt) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  if (!runtime::nvrtc_available()) GTEST_SKIP() << "NVRTC is not available";
  std::string source = test::cuda_one_step_source("lonely", test::kCudaScale);
  std::string module = runtime::compile_cuda(source, runtime::cuda_build_arch());
  runtime::CudaContext context(0);
  runtime::CudaProgram program = runtime::parse_cuda_program(source, "lonely");
  program.launches[0].kernel = "no_such_kernel";
  try {
    runtime::CudaKernel kernel(module, program);
    ADD_FAILURE() << "loaded a missing kernel";
  } catch (const runtime::CudaError& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_kernel"), std::string::npos) << e.what();
  }
}
