// The CUDA driver layer: without a device it explains itself and fails cleanly;
// with one it reads sane hardware parameters.
#include <gtest/gtest.h>

#include <iostream>

#include "runtime/cuda_driver.h"
#include "runtime/cuda_test_kernels.h"

using namespace bcd;

TEST(CudaDriver, WithoutADeviceEverythingFailsWithTheReason) {
  std::string why;
  if (runtime::cuda_device_available(&why))
    GTEST_SKIP() << "a CUDA device is present (" << runtime::gpu_info(0).name << "); nothing to check here";
  std::cout << "no CUDA device: " << why << "\n";
  EXPECT_FALSE(why.empty());
  EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  // Asking again gives the same answer without trying again.
  std::string again;
  EXPECT_FALSE(runtime::cuda_device_available(&again));
  EXPECT_EQ(again, why);
  EXPECT_FALSE(runtime::cuda_device_available());

  try {
    runtime::gpu_info(0);
    ADD_FAILURE() << "gpu_info without a device";
  } catch (const runtime::CudaError& e) {
    EXPECT_EQ(std::string(e.what()), "no CUDA device: " + why);
  }
  EXPECT_THROW(runtime::CudaContext(0), runtime::CudaError);
  EXPECT_THROW(runtime::DeviceBuffer(64), runtime::CudaError);
  EXPECT_THROW(runtime::CudaModule("/nonexistent.ptx"), runtime::CudaError);
  EXPECT_THROW(runtime::CudaEvent(), runtime::CudaError);
  // Compiling needs no device: portable PTX.
  EXPECT_EQ(runtime::cuda_build_arch(), "compute_80");
}

TEST(CudaDriver, NvrtcArchNamesTheRealArchitecture) {
  runtime::GpuInfo h100;
  h100.cc_major = 9;
  h100.cc_minor = 0;
  EXPECT_EQ(runtime::nvrtc_arch(h100), "sm_90");
  runtime::GpuInfo a10;
  a10.cc_major = 8;
  a10.cc_minor = 6;
  EXPECT_EQ(runtime::nvrtc_arch(a10), "sm_86");
}

TEST(CudaDriverGpu, ReadsHardwareParameters) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  runtime::GpuInfo info = runtime::gpu_info(0);
  std::cout << info.name << ": sm_" << info.cc_major << info.cc_minor << ", " << info.multiprocessor_count
            << " SMs\n";
  EXPECT_FALSE(info.name.empty());
  EXPECT_GE(info.cc_major, 5);
  EXPECT_EQ(info.warp_size, 32);
  EXPECT_EQ(info.max_threads_per_block, 1024);
  EXPECT_GE(info.max_shared_memory_per_block, 48 * 1024);
  EXPECT_GE(info.max_registers_per_block, 32 * 1024);
  EXPECT_GT(info.multiprocessor_count, 0);
  EXPECT_GE(info.max_threads_per_multiprocessor, info.max_threads_per_block);
  EXPECT_GT(info.l2_cache_bytes, 0);
  EXPECT_EQ(runtime::cuda_build_arch(), runtime::nvrtc_arch(info));
  EXPECT_THROW(runtime::gpu_info(1 << 20), runtime::CudaError);  // no such device ordinal
}

TEST(CudaDriverGpu, BuffersCopyAndEventsTime) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  runtime::CudaContext context(0);
  std::vector<float> host(256), back(256, -1.0f);
  for (size_t i = 0; i < host.size(); ++i) host[i] = static_cast<float>(i) * 0.5f;
  runtime::DeviceBuffer buffer(host.size() * sizeof(float));
  EXPECT_NE(buffer.ptr(), 0u);
  EXPECT_EQ(buffer.bytes(), host.size() * sizeof(float));
  buffer.upload(host.data());
  buffer.download(back.data());
  EXPECT_EQ(back, host);
  buffer.fill_words(0x3f800000u);  // 1.0f
  buffer.download(back.data());
  for (float v : back) EXPECT_EQ(v, 1.0f);

  runtime::DeviceBuffer moved = std::move(buffer);
  EXPECT_EQ(buffer.ptr(), 0u);
  EXPECT_NE(moved.ptr(), 0u);

  runtime::CudaEvent start, end;
  start.record();
  moved.fill_words(0);
  end.record();
  end.synchronize();
  EXPECT_GE(runtime::CudaEvent::elapsed_ms(start, end), 0.0);
  context.synchronize();

  try {
    runtime::CudaModule("/nonexistent/module.ptx");
    ADD_FAILURE() << "loaded a missing module";
  } catch (const runtime::CudaError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/module.ptx"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("CUDA_ERROR"), std::string::npos) << e.what();
  }
}
