// CudaKernel, the one launch path for generated CUDA programs (measurement worker
// and whole networks).
#include <gtest/gtest.h>

#include <cmath>
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

// A whole sequence of programs captured once into a CUDA graph and replayed:
// nothing runs during the capture, a replay gives what launching them one by one
// gives, and it reads the data behind its fixed addresses at replay time.
TEST(CudaGraphGpu, ReplayingCapturedProgramsEqualsLaunchingThem) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  if (!runtime::nvrtc_available()) GTEST_SKIP() << "NVRTC is not available";
  std::string two = test::cuda_two_step_source("graph_two_step");
  std::string one = test::cuda_one_step_source("graph_scale", test::kCudaScale);
  runtime::CudaContext context(0);
  runtime::CudaKernel first(runtime::compile_cuda(two, runtime::cuda_build_arch()),
                            runtime::parse_cuda_program(two, "graph_two_step"));
  runtime::CudaKernel second(runtime::compile_cuda(one, runtime::cuda_build_arch()),
                             runtime::parse_cuda_program(one, "graph_scale"));
  constexpr size_t kBytes = test::kCudaN * sizeof(float);
  runtime::DeviceBuffer in(kBytes), middle(kBytes), out(kBytes);
  runtime::CudaStream stream;
  auto enqueue = [&] {  // in -> 2 in -> 4 in
    first.launch({in.ptr(), middle.ptr()}, &stream);
    second.launch({middle.ptr(), out.ptr()}, &stream);
  };
  auto result = [&] {
    NDArray host({test::kCudaN});
    stream.download(host.data(), out.ptr(), kBytes);
    stream.synchronize();
    return host;
  };

  NDArray x({test::kCudaN});
  std::mt19937_64 rng(11);
  x.fill_random(rng);
  stream.upload(in.ptr(), x.data(), kBytes);
  out.fill_words(0x7fc00000);  // NaN, on the default stream
  context.synchronize();
  runtime::CudaGraph graph(stream, enqueue);
  NDArray before = result();
  for (int i = 0; i < test::kCudaN; ++i) ASSERT_TRUE(std::isnan(before[i])) << "the capture ran kernels, at " << i;

  graph.launch(stream);
  NDArray replayed = result();
  enqueue();
  NDArray launched = result();
  for (int i = 0; i < test::kCudaN; ++i) {
    ASSERT_NEAR(replayed[i], 4.0f * x[i], 1e-5) << "at " << i;
    ASSERT_EQ(replayed[i], launched[i]) << "at " << i;
  }

  // New input behind the same address: the replay reads it.
  x.fill(0.25f);
  stream.upload(in.ptr(), x.data(), kBytes);
  graph.launch(stream);
  NDArray again = result();
  for (int i = 0; i < test::kCudaN; ++i) ASSERT_NEAR(again[i], 1.0f, 1e-6) << "at " << i;
}

TEST(CudaGraphGpu, AFailingCaptureEndsItAndTheStreamCapturesAgain) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  if (!runtime::nvrtc_available()) GTEST_SKIP() << "NVRTC is not available";
  std::string one = test::cuda_one_step_source("graph_retry", test::kCudaScale);
  runtime::CudaContext context(0);
  runtime::CudaKernel kernel(runtime::compile_cuda(one, runtime::cuda_build_arch()),
                             runtime::parse_cuda_program(one, "graph_retry"));
  runtime::DeviceBuffer a(test::kCudaN * sizeof(float)), b(test::kCudaN * sizeof(float));
  runtime::CudaStream stream;
  EXPECT_THROW(runtime::CudaGraph(stream, [] { throw Error("enqueueing failed"); }), Error);
  runtime::CudaGraph graph(stream, [&] { kernel.launch({a.ptr(), b.ptr()}, &stream); });
  a.fill_words(0x40000000);  // 2.0f, on the default stream
  context.synchronize();
  graph.launch(stream);
  stream.synchronize();
  NDArray host({test::kCudaN});
  b.download(host.data());
  for (int i = 0; i < test::kCudaN; ++i) ASSERT_EQ(host[i], 4.0f) << "at " << i;
}
