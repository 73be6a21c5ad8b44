// Building and measuring CUDA candidates through build_all / run_all: compiling
// needs only NVRTC; running needs a device, and without one every CUDA candidate
// is a Runtime error that says why, never a crash. The GPU tests mirror the CPU
// runner's (measure_test.cpp): correct, faulting, hanging and wrong kernels.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include "runtime/cuda_compiler.h"
#include "runtime/cuda_test_kernels.h"
#include "runtime/measure.h"
#include "runtime/worker_protocol.h"
#include "support/error.h"

using namespace bcd;
using runtime::MeasureError;

namespace {

std::string unique_salt() {
  return std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

runtime::BuildInput cuda_input(const std::string& source, const std::string& func) {
  return {source, func, "cuda"};
}

runtime::RunSpec make_spec(bool with_expected) {
  runtime::RunSpec spec;
  spec.input_shapes = {{test::kCudaN}};
  spec.output_shapes = {{test::kCudaN}};
  NDArray in({test::kCudaN});
  std::mt19937_64 rng(11);
  in.fill_random(rng);
  if (with_expected) {
    NDArray out({test::kCudaN});
    for (int i = 0; i < test::kCudaN; ++i) out[i] = in[i] * 2.0f;
    spec.expected.push_back(std::move(out));
  }
  spec.inputs.push_back(std::move(in));
  return spec;
}

// Builds CUDA candidates (func -> body of a one-step kernel, or the two-step
// program for an empty body), expecting every build to succeed.
std::vector<runtime::BuildResult> build_cuda(const std::vector<std::pair<std::string, std::string>>& kernels) {
  std::vector<runtime::BuildInput> inputs;
  for (const auto& [func, body] : kernels)
    inputs.push_back(cuda_input(body.empty() ? test::cuda_two_step_source(func)
                                             : test::cuda_one_step_source(func, body),
                                func));
  auto builds = runtime::build_all(inputs);
  for (size_t i = 0; i < builds.size(); ++i)
    EXPECT_EQ(builds[i].error, MeasureError::None) << kernels[i].first << ": " << builds[i].error_message;
  return builds;
}

void expect_measured(const runtime::MeasureResult& r, int repeat) {
  EXPECT_EQ(r.error, MeasureError::None) << r.error_message;
  ASSERT_EQ(r.costs.size(), static_cast<size_t>(repeat));
  for (double c : r.costs) EXPECT_TRUE(c > 0 && c < 1) << c;
}

}  // namespace

#define BCD_SKIP_WITHOUT_NVRTC() \
  if (!runtime::nvrtc_available()) GTEST_SKIP() << "NVRTC is not available"

TEST(CudaBuild, CompilesAHandWrittenProgramAndReadsItsHeader) {
  BCD_SKIP_WITHOUT_NVRTC();
  std::string source = test::cuda_two_step_source("built_here", unique_salt());
  auto builds = runtime::build_all({cuda_input(source, "built_here")});
  ASSERT_EQ(builds.size(), 1u);
  const runtime::BuildResult& b = builds[0];
  ASSERT_EQ(b.error, MeasureError::None) << b.error_message;
  EXPECT_EQ(b.target, "cuda");
  EXPECT_EQ(b.kernel_name, "built_here");
  EXPECT_TRUE(std::filesystem::exists(b.library_path)) << b.library_path;
  EXPECT_GT(std::filesystem::file_size(b.library_path), 0u);
  ASSERT_EQ(b.cuda_program.launches.size(), 2u);
  EXPECT_EQ(b.cuda_program.launches[1].kernel, "built_here_k1");
  EXPECT_EQ(b.cuda_program.launches[1].block, (std::array<unsigned, 3>{128, 1, 1}));
  ASSERT_EQ(b.cuda_program.buffers.size(), 1u);
  EXPECT_EQ(b.cuda_program.buffers[0].second, test::kCudaN);
}

TEST(CudaBuild, CompileAndHeaderErrorsAreCompileErrors) {
  BCD_SKIP_WITHOUT_NVRTC();
  auto builds = runtime::build_all({
      cuda_input("// bcd-launch broken broken_k 1 1 1 32 1 1\nextern \"C\" __global__ void broken_k( {}\n",
                 "broken"),
      cuda_input("extern \"C\" __global__ void headless(float* a) {}\n", "headless"),
      cuda_input(test::cuda_one_step_source("fine_next_to_broken", test::kCudaScale), "fine_next_to_broken"),
  });
  ASSERT_EQ(builds.size(), 3u);
  EXPECT_EQ(builds[0].error, MeasureError::Compile);
  EXPECT_TRUE(builds[0].library_path.empty());
  EXPECT_FALSE(builds[0].error_message.empty());
  EXPECT_EQ(builds[1].error, MeasureError::Compile);
  EXPECT_NE(builds[1].error_message.find("bcd-launch headless"), std::string::npos) << builds[1].error_message;
  EXPECT_EQ(builds[2].error, MeasureError::None) << builds[2].error_message;
}

TEST(CudaBuild, HungCompileTimesOutThroughTheWatchdog) {
  // NVRTC runs in-process and cannot be killed: the builder abandons its thread.
  // No cold NVRTC compile finishes in a millisecond, so one stands in for a hang.
  BCD_SKIP_WITHOUT_NVRTC();
  std::string source = test::cuda_two_step_source("watched", unique_salt());
  auto start = std::chrono::steady_clock::now();
  auto builds = runtime::build_all({cuda_input(source, "watched")}, {.jobs = 1, .timeout_seconds = 0.001});
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.5);
  ASSERT_EQ(builds.size(), 1u);
  EXPECT_EQ(builds[0].error, MeasureError::Timeout);
  EXPECT_NE(builds[0].error_message.find("did not finish"), std::string::npos);
}

TEST(CudaBuild, UnknownTargetFails) {
  EXPECT_THROW(runtime::build_all({{"int x;", "x", "opencl"}}), Error);
}

TEST(CudaRun, WithoutADeviceEveryCudaCandidateIsARuntimeErrorAndCpuOnesStillRun) {
  std::string why;
  if (runtime::cuda_device_available(&why)) GTEST_SKIP() << "a CUDA device is present (see CudaRunGpu)";
  // The builds are made by hand: this must hold without NVRTC too.
  runtime::BuildResult gpu_a{"/tmp/never-loaded-a.ptx", "a", MeasureError::None, "", 0.5, "cuda",
                             {{{"a_k", {1, 1, 1}, {32, 1, 1}}}, {}}};
  runtime::BuildResult gpu_b = gpu_a;
  gpu_b.kernel_name = "b";
  std::string cpu_source =
      "static void cpu_twice(const float* a, float* b) { for (int i = 0; i < 1024; ++i) b[i] = a[i] * 2.0f; }\n"
      "int cpu_twice_packed(void** args) { cpu_twice((const float*)args[0], (float*)args[1]); return 0; }\n";
  auto cpu = runtime::build_all({{cpu_source, "cpu_twice"}});
  ASSERT_EQ(cpu[0].error, MeasureError::None) << cpu[0].error_message;

  auto results = runtime::run_all({gpu_a, cpu[0], gpu_b}, make_spec(true), {true, true, false});
  ASSERT_EQ(results.size(), 3u);
  for (size_t i : {0u, 2u}) {
    EXPECT_EQ(results[i].error, MeasureError::Runtime);
    EXPECT_EQ(results[i].error_message, "no CUDA device: " + why);
    EXPECT_TRUE(results[i].costs.empty());
    EXPECT_DOUBLE_EQ(results[i].build_seconds, 0.5);
  }
  std::cout << results[0].error_message << "\n";
  expect_measured(results[1], 3);
}

TEST(CudaProtocol, CudaRequestsAndRestartRepliesRoundTrip) {
  runtime::worker::Request req;
  req.target = "cuda";
  req.library = "/cache/abc.cubin";
  req.kernel = "conv";
  req.cuda_program = {{{"conv_k0", {56, 2, 1}, {64, 4, 1}}, {"conv_k1", {7, 1, 1}, {128, 1, 1}}},
                      {{"pad", 1000}, {"acc", 12}}};
  req.number = 4;
  runtime::worker::Request back = runtime::worker::decode_request(runtime::worker::encode_request(req));
  EXPECT_EQ(back.target, "cuda");
  EXPECT_EQ(back.library, req.library);
  EXPECT_EQ(back.cuda_program, req.cuda_program);
  EXPECT_EQ(back.number, 4);

  runtime::worker::Request cpu;
  cpu.library = "/cache/x.so";
  EXPECT_EQ(runtime::worker::decode_request(runtime::worker::encode_request(cpu)).target, "llvm");

  runtime::worker::Reply reply{MeasureError::Runtime, "CUDA_ERROR_ILLEGAL_ADDRESS", {}, true};
  runtime::worker::Reply reply_back = runtime::worker::decode_reply(runtime::worker::encode_reply(reply));
  EXPECT_TRUE(reply_back.restart);
  EXPECT_EQ(reply_back.error, MeasureError::Runtime);
  EXPECT_FALSE(runtime::worker::decode_reply(runtime::worker::encode_reply({})).restart);
}

// ---- on a GPU -------------------------------------------------------------------

TEST(CudaRunGpu, CorrectProgramIsVerifiedAndTimed) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  BCD_SKIP_WITHOUT_NVRTC();
  auto builds = build_cuda({{"gpu_good", ""}, {"gpu_good_single", test::kCudaScale}});
  auto results = runtime::run_all(builds, make_spec(true), {true, true}, {.number = 2, .repeat = 4});
  ASSERT_EQ(results.size(), 2u);
  expect_measured(results[0], 4);
  expect_measured(results[1], 4);
  EXPECT_GT(results[0].run_seconds, 0);
}

TEST(CudaRunGpu, MinimumRepeatTimeAndL2Flush) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  BCD_SKIP_WITHOUT_NVRTC();
  auto builds = build_cuda({{"gpu_flushed", ""}});
  auto results = runtime::run_all(builds, make_spec(true), {true},
                                  {.repeat = 2, .min_repeat_ms = 2, .flush_cache = true});
  expect_measured(results[0], 2);
}

TEST(CudaRunGpu, IllegalAddressIsARuntimeErrorAndTheNextCandidateRuns) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  BCD_SKIP_WITHOUT_NVRTC();
  auto builds = build_cuda({{"gpu_fault", test::kCudaIllegalAddress}, {"gpu_after_fault", ""}});
  auto results = runtime::run_all(builds, make_spec(true), {true, true});
  EXPECT_EQ(results[0].error, MeasureError::Runtime) << results[0].error_message;
  EXPECT_NE(results[0].error_message.find("CUDA_ERROR"), std::string::npos) << results[0].error_message;
  EXPECT_TRUE(results[0].costs.empty());
  // A fresh worker (and context) measures the next candidate.
  expect_measured(results[1], 3);
}

TEST(CudaRunGpu, UnverifiedFaultIsStillARuntimeError) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  BCD_SKIP_WITHOUT_NVRTC();
  auto builds = build_cuda({{"gpu_fault_unverified", test::kCudaIllegalAddress}, {"gpu_after_fault2", ""}});
  auto results = runtime::run_all(builds, make_spec(false), {});
  EXPECT_EQ(results[0].error, MeasureError::Runtime) << results[0].error_message;
  expect_measured(results[1], 3);
}

TEST(CudaRunGpu, HangIsATimeoutAndTheNextCandidateRuns) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  BCD_SKIP_WITHOUT_NVRTC();
  auto builds = build_cuda({{"gpu_hang", test::kCudaHang}, {"gpu_after_hang", ""}});
  auto results = runtime::run_all(builds, make_spec(true), {false, true}, {.timeout_seconds = 3});
  EXPECT_EQ(results[0].error, MeasureError::Timeout) << results[0].error_message;
  EXPECT_GE(results[0].run_seconds, 2.9);
  expect_measured(results[1], 3);
}

TEST(CudaRunGpu, WrongAnswerOnlyWhenVerified) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  BCD_SKIP_WITHOUT_NVRTC();
  auto builds = build_cuda({{"gpu_wrong", test::kCudaWrong}});
  auto spec = make_spec(true);
  auto checked = runtime::run_all(builds, spec, {true});
  EXPECT_EQ(checked[0].error, MeasureError::WrongAnswer) << checked[0].error_message;
  EXPECT_NE(checked[0].error_message.find("max abs diff 0.5"), std::string::npos) << checked[0].error_message;
  EXPECT_TRUE(checked[0].costs.empty());
  auto unchecked = runtime::run_all(builds, spec, {false});
  expect_measured(unchecked[0], 3);
}

TEST(CudaRunGpu, StaleOutputsCannotPassVerification) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  BCD_SKIP_WITHOUT_NVRTC();
  // The correct program runs first in the same worker and the same output buffer;
  // one that writes nothing must not inherit its results.
  auto builds = build_cuda({{"gpu_fills", ""}, {"gpu_writes_nothing", "(void)a; (void)b; (void)i;"}});
  auto results = runtime::run_all(builds, make_spec(true), {true, true});
  expect_measured(results[0], 3);
  EXPECT_EQ(results[1].error, MeasureError::WrongAnswer) << results[1].error_message;
}

TEST(CudaRunGpu, BadLaunchConfigurationIsARuntimeError) {
  BCD_SKIP_WITHOUT_CUDA_DEVICE();
  BCD_SKIP_WITHOUT_NVRTC();
  // 2048 threads per block: more than any CUDA device allows.
  std::string source = "// bcd-launch gpu_too_big gpu_too_big_k 1 1 1 2048 1 1\n"
                       "extern \"C\" __global__ void gpu_too_big_k(float* a, float* b) {}\n";
  auto builds = runtime::build_all({cuda_input(source, "gpu_too_big")});
  ASSERT_EQ(builds[0].error, MeasureError::None) << builds[0].error_message;
  auto more = build_cuda({{"gpu_after_bad_launch", ""}});
  builds.push_back(more[0]);
  auto results = runtime::run_all(builds, make_spec(true), {true, true});
  EXPECT_EQ(results[0].error, MeasureError::Runtime);
  EXPECT_NE(results[0].error_message.find("cuLaunchKernel"), std::string::npos) << results[0].error_message;
  expect_measured(results[1], 3);
}
