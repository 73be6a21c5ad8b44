// The cuda target through the command line, on any machine: what needs no GPU
// (tasks, sketches, code generation, NVRTC) works; what needs one says why in one
// line when there is none.
#include <gtest/gtest.h>

#include "runtime/cuda_compiler.h"
#include "runtime/cuda_driver.h"
#include "testing/bcd_cli.h"

namespace bcd::testutil {
namespace {

bool have_device() { return runtime::cuda_device_available(); }

TEST(CudaTargetCli, OpShowsTheDefaultGpuScheduleAsCuda) {
  if (!runtime::nvrtc_available()) GTEST_SKIP() << "bcd was built without CUDA";
  BcdRun r = run_bcd({"op", "dense", "-p", "m=4,n=64,k=32", "--target", "cuda", "--show-code"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("[blockIdx.x]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("// bcd-launch op_kernel op_kernel_k0 "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("__global__"), std::string::npos) << r.output;
  if (have_device())
    EXPECT_NE(r.output.find(": OK"), std::string::npos) << r.output;
  else
    EXPECT_NE(r.output.find("compiled     with NVRTC"), std::string::npos) << r.output;
}

TEST(CudaTargetCli, TasksClusterByGpuSketches) {
  if (!runtime::nvrtc_available()) GTEST_SKIP() << "bcd was built without CUDA";
  BcdRun r = run_bcd({"tasks", "--model", "squeezenet_v1.1", "--target", "cuda", "--group-type", "sketch"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("sketch clusters"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(rep)"), std::string::npos) << r.output;
}

TEST(CudaTargetCli, WithoutAGpuRunningIsAOneLineError) {
  if (have_device()) GTEST_SKIP() << "a CUDA device is present";
  if (!runtime::nvrtc_available()) GTEST_SKIP() << "bcd was built without CUDA";
  std::string dir = temp_dir("cuda_cli").string();
  expect_one_line_error(run_bcd({"op", "dense", "--target", "cuda"}), "needs a GPU");
  expect_one_line_error(run_bcd({"tune-op", "dense", "--target", "cuda", "--log-dir", dir + "/r"}), "needs a GPU");
  expect_one_line_error(run_bcd({"tune", "--model", "squeezenet_v1.1", "--target", "cuda", "--log-dir", dir}),
                        "needs a GPU");
  expect_one_line_error(run_bcd({"run", "--model", "squeezenet_v1.1", "--target", "cuda"}), "needs a GPU");
}

}  // namespace
}  // namespace bcd::testutil
