// NVRTC compilation into the kernel cache; needs the toolkit, never a device.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/cuda_compiler.h"
#include "support/error.h"
#include "testing/bcd_cli.h"

using namespace bcd;
using bcd::testutil::read_file;

namespace {

#define SKIP_WITHOUT_NVRTC() \
  if (!runtime::nvrtc_available()) GTEST_SKIP() << "bcd was built without the CUDA toolkit (no NVRTC)"

const char* kScale =
    "extern \"C\" __global__ void scale(const float* __restrict__ a, float* __restrict__ b, int n) {\n"
    "  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "  if (i < n) b[i] = expf(a[i]) * 2.0f;\n"
    "}\n";

}  // namespace

TEST(CudaCompiler, KernelCompilesToPtx) {
  SKIP_WITHOUT_NVRTC();
  std::string path = runtime::compile_cuda(kScale, "compute_80");
  EXPECT_EQ(std::filesystem::path(path).extension(), ".ptx");
  std::string ptx = read_file(path);
  EXPECT_NE(ptx.find(".entry scale"), std::string::npos) << ptx.substr(0, 400);
  EXPECT_NE(ptx.find(".target sm_80"), std::string::npos);
}

TEST(CudaCompiler, RealArchitectureGivesCubin) {
  SKIP_WITHOUT_NVRTC();
  std::string path = runtime::compile_cuda(kScale, "sm_90");
  EXPECT_EQ(std::filesystem::path(path).extension(), ".cubin");
  std::string cubin = read_file(path);
  ASSERT_GE(cubin.size(), 4u);
  EXPECT_EQ(cubin.substr(0, 4), "\x7f" "ELF");
}

TEST(CudaCompiler, CacheReturnsTheSamePath) {
  SKIP_WITHOUT_NVRTC();
  std::string first = runtime::compile_cuda(kScale, "compute_80");
  auto written = std::filesystem::last_write_time(first);
  std::string second = runtime::compile_cuda(kScale, "compute_80");
  EXPECT_EQ(first, second);
  EXPECT_EQ(std::filesystem::last_write_time(second), written);
  // Another architecture is another program.
  EXPECT_NE(runtime::compile_cuda(kScale, "compute_90"), first);
}

TEST(CudaCompiler, BrokenKernelFailsWithOneLineNamingTheProblem) {
  SKIP_WITHOUT_NVRTC();
  const char* broken =
      "extern \"C\" __global__ void broken(float* b) { b[0] = undeclared_value; }\n";
  try {
    runtime::compile_cuda(broken, "compute_80");
    FAIL() << "compilation should have failed";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find("undeclared_value"), std::string::npos) << message;
  }
}

TEST(CudaCompiler, UnknownArchitectureFails) {
  SKIP_WITHOUT_NVRTC();
  EXPECT_THROW(runtime::compile_cuda(kScale, "volta"), Error);
}

TEST(CudaCompiler, WithoutToolkitFailsSayingSo) {
  if (runtime::nvrtc_available()) GTEST_SKIP() << "built with NVRTC";
  try {
    runtime::compile_cuda(kScale, "compute_80");
    FAIL() << "compilation should have failed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("without the CUDA toolkit"), std::string::npos);
  }
}
