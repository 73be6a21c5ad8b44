// The builder and the isolated runner: kernels that work, crash, hang, lie or do
// not compile, each recorded as its own kind of error without stopping the others.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "runtime/compiler.h"
#include "runtime/measure.h"
#include "runtime/worker_protocol.h"
#include "support/error.h"

using namespace bcd;
using runtime::MeasureError;

namespace {

constexpr int kN = 64;

// A kernel `name` computing out[i] = in[i] * 2 + `offset`, with an optional body
// replacing the loop (to crash, hang, or write nothing).
std::string kernel_source(const std::string& name, const std::string& body = "",
                          const std::string& salt = "") {
  std::string loop = body.empty() ? "for (int i = 0; i < 64; ++i) b[i] = a[i] * 2.0f;" : body;
  return "/* " + salt + " */\n#include <stdint.h>\n"
         "static void " + name + "(const float* restrict a, float* restrict b) { (void)a; (void)b; " +
         loop + " }\n"
         "int " + name + "_packed(void** args) { " + name +
         "((const float*)args[0], (float*)args[1]); return 0; }\n";
}

const std::string kSegfault = "float* volatile p = 0; *p = 1.0f;";
const std::string kHang = "volatile int x = 0; for (;;) x++;";
const std::string kWrong = "for (int i = 0; i < 64; ++i) b[i] = a[i] * 2.0f + 0.5f;";
const std::string kNoop = "(void)0;";

runtime::RunSpec make_spec(bool with_expected) {
  runtime::RunSpec spec;
  spec.input_shapes = {{kN}};
  spec.output_shapes = {{kN}};
  NDArray in({kN});
  std::mt19937_64 rng(42);
  in.fill_random(rng);
  if (with_expected) {
    NDArray out({kN});
    for (int i = 0; i < kN; ++i) out[i] = in[i] * 2.0f;
    spec.expected.push_back(std::move(out));
  }
  spec.inputs.push_back(std::move(in));
  return spec;
}

std::vector<runtime::BuildResult> build(const std::vector<std::pair<std::string, std::string>>& kernels) {
  std::vector<runtime::BuildInput> inputs;
  for (const auto& [name, body] : kernels) inputs.push_back({kernel_source(name, body), name});
  auto builds = runtime::build_all(inputs);
  for (size_t i = 0; i < builds.size(); ++i)
    EXPECT_EQ(builds[i].error, MeasureError::None) << kernels[i].first << ": " << builds[i].error_message;
  return builds;
}

void expect_measured(const runtime::MeasureResult& r, int repeat) {
  EXPECT_EQ(r.error, MeasureError::None) << r.error_message;
  ASSERT_EQ(r.costs.size(), static_cast<size_t>(repeat));
  for (double c : r.costs) EXPECT_TRUE(c > 0 && c < 1) << c;
  EXPECT_TRUE(std::isfinite(r.mean_cost()));
}

// Processes named bcd-worker whose parent is this process, zombies included.
int worker_children() {
  int count = 0;
  std::string self = std::to_string(getpid());
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string text;
    if (!stat || !std::getline(stat, text)) continue;
    size_t open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string comm = text.substr(open + 1, close - open - 1);
    std::istringstream rest(text.substr(close + 1));
    std::string state, ppid;
    rest >> state >> ppid;
    if (comm == "bcd-worker" && ppid == self) ++count;
  }
  return count;
}

size_t open_descriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST(MeasureError, NamesRoundTrip) {
  for (auto e : {MeasureError::None, MeasureError::Instantiation, MeasureError::Compile,
                 MeasureError::Runtime, MeasureError::Timeout, MeasureError::WrongAnswer,
                 MeasureError::Unknown})
    EXPECT_EQ(runtime::measure_error_from_name(runtime::measure_error_name(e)), e);
  EXPECT_STREQ(runtime::measure_error_name(MeasureError::WrongAnswer), "wrong_answer");
  EXPECT_THROW(runtime::measure_error_from_name("bogus"), Error);
}

TEST(MeasureResult, MeanCostIsInfiniteOnError) {
  runtime::MeasureResult r;
  r.costs = {1, 2, 3};
  EXPECT_DOUBLE_EQ(r.mean_cost(), 2);
  r.error = MeasureError::Timeout;
  EXPECT_TRUE(std::isinf(r.mean_cost()));
  EXPECT_TRUE(std::isinf(runtime::MeasureResult{}.mean_cost()));
}

TEST(MeasureBuild, BuildsInParallelAndSecondBuildHitsTheCache) {
  // Salted sources so that the first build is cold even with a warm cache directory.
  std::string salt = std::to_string(getpid()) + "-" +
                     std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  std::vector<runtime::BuildInput> inputs;
  for (int i = 0; i < 4; ++i)
    inputs.push_back({kernel_source("par" + std::to_string(i), "", salt), "par" + std::to_string(i)});
  auto start = std::chrono::steady_clock::now();
  auto first = runtime::build_all(inputs, {.jobs = 4});
  double wall = seconds_since(start);
  double sum = 0;
  for (const auto& b : first) {
    ASSERT_EQ(b.error, MeasureError::None) << b.error_message;
    EXPECT_TRUE(std::filesystem::exists(b.library_path));
    sum += b.seconds;
  }
  EXPECT_EQ(first[2].kernel_name, "par2");
  // Overlapping compiles: the wall time is well below the sum of the build times
  // (this holds however loaded the machine is, as long as they run at once).
  EXPECT_LT(wall, 0.8 * sum) << "wall " << wall << " s, sum " << sum << " s";

  std::vector<std::filesystem::file_time_type> stamps;
  for (const auto& b : first) stamps.push_back(std::filesystem::last_write_time(b.library_path));
  auto second = runtime::build_all(inputs, {.jobs = 2});
  double second_sum = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_EQ(second[i].error, MeasureError::None) << second[i].error_message;
    EXPECT_EQ(second[i].library_path, first[i].library_path);
    EXPECT_EQ(std::filesystem::last_write_time(second[i].library_path), stamps[i]) << "recompiled";
    second_sum += second[i].seconds;
  }
  EXPECT_LT(second_sum, 0.25 * sum) << "cache hits should cost next to nothing";
}

TEST(MeasureBuild, CompileErrorPassesThroughRunAll) {
  auto builds = runtime::build_all({{"this is not C;\n", "broken"}, {kernel_source("fine"), "fine"}});
  ASSERT_EQ(builds.size(), 2u);
  EXPECT_EQ(builds[0].error, MeasureError::Compile);
  EXPECT_TRUE(builds[0].library_path.empty());
  EXPECT_NE(builds[0].error_message.find("compilation failed"), std::string::npos) << builds[0].error_message;
  EXPECT_EQ(builds[1].error, MeasureError::None);

  auto results = runtime::run_all(builds, make_spec(true), {true, true});
  EXPECT_EQ(results[0].error, MeasureError::Compile);
  EXPECT_EQ(results[0].error_message, builds[0].error_message);
  EXPECT_TRUE(results[0].costs.empty());
  EXPECT_DOUBLE_EQ(results[0].build_seconds, builds[0].seconds);
  expect_measured(results[1], 3);
}

TEST(MeasureBuild, HungCompileTimesOut) {
  // No compile finishes in a millisecond, so a cold one stands in for a hung one.
  std::string source = kernel_source("slowbuild", "", "timeout-" + std::to_string(getpid()) + "-" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  auto start = std::chrono::steady_clock::now();
  auto builds = runtime::build_all({{source, "slowbuild"}}, {.jobs = 1, .timeout_seconds = 0.001});
  EXPECT_LT(seconds_since(start), 0.5);
  ASSERT_EQ(builds.size(), 1u);
  EXPECT_EQ(builds[0].error, MeasureError::Timeout);
  EXPECT_NE(builds[0].error_message.find("did not finish"), std::string::npos);
  // The killed compile left no result behind: this one compiles afresh.
  EXPECT_FALSE(runtime::compile_shared_object(source).empty());
}

TEST(MeasureRun, CorrectKernelIsVerifiedAndTimed) {
  auto builds = build({{"good", ""}});
  auto results = runtime::run_all(builds, make_spec(true), {true}, {.number = 2, .repeat = 4});
  ASSERT_EQ(results.size(), 1u);
  expect_measured(results[0], 4);
  EXPECT_GT(results[0].run_seconds, 0);
  EXPECT_DOUBLE_EQ(results[0].build_seconds, builds[0].seconds);
}

TEST(MeasureRun, CrashIsARuntimeErrorAndTheNextCandidateRuns) {
  auto builds = build({{"crash", kSegfault}, {"after_crash", ""}});
  auto results = runtime::run_all(builds, make_spec(true), {true, true});
  EXPECT_EQ(results[0].error, MeasureError::Runtime);
#if defined(__SANITIZE_ADDRESS__)
  // In a sanitizer build AddressSanitizer catches the segfault in the worker and
  // exits with status 1 instead of dying of the signal.
  EXPECT_NE(results[0].error_message.find("crashed"), std::string::npos) << results[0].error_message;
#else
  EXPECT_NE(results[0].error_message.find("signal 11"), std::string::npos) << results[0].error_message;
#endif
  EXPECT_TRUE(results[0].costs.empty());
  expect_measured(results[1], 3);
}

TEST(MeasureRun, HangIsATimeoutAndTheNextCandidateRuns) {
  auto builds = build({{"hang", kHang}, {"after_hang", ""}});
  auto start = std::chrono::steady_clock::now();
  auto results = runtime::run_all(builds, make_spec(false), {}, {.timeout_seconds = 1});
  double wall = seconds_since(start);
  EXPECT_EQ(results[0].error, MeasureError::Timeout);
  EXPECT_GE(results[0].run_seconds, 0.9);
  EXPECT_LT(results[0].run_seconds, 2.0);
  expect_measured(results[1], 3);
  EXPECT_LT(wall, 4.0);
}

TEST(MeasureRun, WrongAnswerOnlyWhenVerified) {
  auto builds = build({{"wrong", kWrong}});
  auto spec = make_spec(true);
  auto checked = runtime::run_all(builds, spec, {true});
  EXPECT_EQ(checked[0].error, MeasureError::WrongAnswer);
  EXPECT_NE(checked[0].error_message.find("max abs diff 0.5"), std::string::npos) << checked[0].error_message;
  EXPECT_TRUE(checked[0].costs.empty());
  auto unchecked = runtime::run_all(builds, spec, {false});
  expect_measured(unchecked[0], 3);
}

TEST(MeasureRun, AVerifiedRunPacksTheRewrittenInputsFirst) {
  // "reversed" reads its input in a rewritten layout (back to front); its pack
  // makes that layout from the original input.
  std::string source = kernel_source("reversed", "for (int i = 0; i < 64; ++i) b[i] = a[63 - i] * 2.0f;") +
                       kernel_source("reversed_pack0", "for (int i = 0; i < 64; ++i) b[i] = a[63 - i];");
  runtime::BuildInput input{source, "reversed", "llvm", {{0, "reversed_pack0"}}};
  auto builds = runtime::build_all({input, input});
  ASSERT_EQ(builds[0].error, MeasureError::None) << builds[0].error_message;
  ASSERT_EQ(builds[0].packs.size(), 1u);
  EXPECT_EQ(builds[0].packs[0].function, "reversed_pack0");
  builds[1].packs.clear();
  // Twice in one worker: the second run starts again from the original input.
  auto results = runtime::run_all({builds[0], builds[0], builds[1]}, make_spec(true), {true, true, true});
  expect_measured(results[0], 3);
  expect_measured(results[1], 3);
  EXPECT_EQ(results[2].error, MeasureError::WrongAnswer) << "without its pack the kernel reads the original order";

  auto request =
      runtime::worker::decode_request(runtime::worker::encode_request({.kernel = "k", .packs = {{1, "k_pack1"}}}));
  ASSERT_EQ(request.packs.size(), 1u);
  EXPECT_EQ(request.packs[0].input, 1);
  EXPECT_EQ(request.packs[0].function, "k_pack1");
}

TEST(MeasureRun, StaleOutputsCannotPassVerification) {
  // The correct kernel runs first in the same worker; one that writes nothing must
  // not inherit its outputs.
  auto builds = build({{"fills", ""}, {"writes_nothing", kNoop}});
  auto results = runtime::run_all(builds, make_spec(true), {true, true});
  expect_measured(results[0], 3);
  EXPECT_EQ(results[1].error, MeasureError::WrongAnswer) << results[1].error_message;
}

TEST(MeasureRun, KernelErrorAndMissingSymbolAreRuntimeErrors) {
  auto builds = build({{"good2", ""}});
  std::vector<runtime::BuildInput> failing = {
      {"int fails_packed(void** a) { (void)a; return 3; }\n", "fails"}};
  auto more = runtime::build_all(failing);
  builds.push_back(more[0]);
  runtime::BuildResult missing = builds[0];
  missing.kernel_name = "no_such_kernel";
  builds.push_back(missing);
  auto results = runtime::run_all(builds, make_spec(false), {});
  expect_measured(results[0], 3);
  EXPECT_EQ(results[1].error, MeasureError::Runtime);
  EXPECT_NE(results[1].error_message.find("reported an error"), std::string::npos) << results[1].error_message;
  EXPECT_EQ(results[2].error, MeasureError::Runtime);
  EXPECT_NE(results[2].error_message.find("no_such_kernel"), std::string::npos) << results[2].error_message;
}

TEST(MeasureRun, CacheFlushAndMinimumRepeatTime) {
  auto builds = build({{"flushed", ""}});
  auto results = runtime::run_all(builds, make_spec(true), {true},
                                  {.repeat = 2, .min_repeat_ms = 2, .flush_cache = true});
  expect_measured(results[0], 2);
}

// Evicting the activations before every repeat times each repeat and keeps the
// data (clflush writes it back): the verified output is still right, in the worker
// and in a request that went through the protocol.
TEST(MeasureRun, EvictingActivationsKeepsTheDataAndTimesEveryRepeat) {
  auto builds = build({{"evicted", ""}});
  for (std::vector<int> weights : {std::vector<int>{}, std::vector<int>{0}}) {
    runtime::RunSpec spec = make_spec(true);
    spec.weight_inputs = weights;
    auto results = runtime::run_all(builds, spec, {true}, {.repeat = 4, .evict_activations = true});
    expect_measured(results[0], 4);
  }
  auto request = runtime::worker::decode_request(
      runtime::worker::encode_request({.kernel = "k", .evict_activations = true, .weight_inputs = {1, 2}}));
  EXPECT_TRUE(request.evict_activations);
  EXPECT_EQ(request.weight_inputs, (std::vector<int>{1, 2}));
  EXPECT_FALSE(runtime::worker::decode_request(runtime::worker::encode_request({.kernel = "k"})).evict_activations);

  runtime::RunSpec wrong = make_spec(false);
  wrong.weight_inputs = {3};
  try {
    runtime::run_all(builds, wrong, {}, {.evict_activations = true});
    FAIL() << "a weight index past the inputs was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("names input 3 a weight, but has 1 inputs"), std::string::npos) << e.what();
  }
}

TEST(MeasureRun, LeavesNoWorkerProcessesOrDescriptorsBehind) {
  auto builds = build({{"ok_a", ""}, {"crash_b", kSegfault}, {"hang_c", kHang}, {"ok_d", ""}});
  size_t fds = open_descriptors();
  auto results = runtime::run_all(builds, make_spec(true), {true, true, false, true}, {.timeout_seconds = 1});
  EXPECT_EQ(results[0].error, MeasureError::None);
  EXPECT_EQ(results[1].error, MeasureError::Runtime);
  EXPECT_EQ(results[2].error, MeasureError::Timeout);
  EXPECT_EQ(results[3].error, MeasureError::None);
  EXPECT_EQ(worker_children(), 0);
  EXPECT_EQ(open_descriptors(), fds);
}

TEST(MeasureRun, InvalidRequestsFailClearly) {
  auto builds = build({{"good3", ""}});
  EXPECT_THROW(runtime::run_all(builds, make_spec(false), {true}), Error);  // nothing to verify against
  EXPECT_THROW(runtime::run_all(builds, make_spec(true), {true, false}), Error);
  EXPECT_THROW(runtime::run_all(builds, make_spec(true), {}, {.repeat = 0}), Error);
  // Nothing to run: no worker is needed and none is started.
  runtime::BuildResult failed{"", "x", MeasureError::Instantiation, "no sketch", 0};
  auto results = runtime::run_all({failed}, make_spec(false), {});
  EXPECT_EQ(results[0].error, MeasureError::Instantiation);
  EXPECT_EQ(results[0].error_message, "no sketch");
}

TEST(MeasureRun, MissingWorkerIsAClearError) {
  auto builds = build({{"good4", ""}});
  ::setenv("BCD_WORKER", "/nonexistent/bcd-worker", 1);
  try {
    runtime::run_all(builds, make_spec(false), {});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("BCD_WORKER"), std::string::npos) << e.what();
  }
  ::unsetenv("BCD_WORKER");
}
