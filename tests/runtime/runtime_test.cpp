#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "runtime/compiler.h"
#include "runtime/module.h"
#include "runtime/timer.h"
#include "support/error.h"

using namespace bcd;

TEST(Compiler, CompilesLoadsAndRunsAKernel) {
  std::string src =
      "void twice(float* restrict a, float* restrict b) { for (int i = 0; i < 4; ++i) b[i] = 2 * a[i]; }\n"
      "int twice_packed(void** args) { twice((float*)args[0], (float*)args[1]); return 0; }\n";
  runtime::Kernel k = runtime::Module::from_source(src).get("twice");
  NDArray a({4}), b({4});
  for (int i = 0; i < 4; ++i) a[i] = static_cast<float>(i);
  k.run(std::vector<NDArray*>{&a, &b});
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(b[i], 2.0f * i);
}

TEST(Compiler, SameSourceHitsTheCache) {
  std::string src = "int cached_packed(void** a) { (void)a; return 0; }\n";
  std::string first = runtime::compile_shared_object(src);
  auto stamp = std::filesystem::last_write_time(first);
  std::string second = runtime::compile_shared_object(src);
  EXPECT_EQ(first, second);
  EXPECT_EQ(stamp, std::filesystem::last_write_time(second));
}

TEST(Compiler, CompileErrorIsReportedOnOneLine) {
  try {
    runtime::compile_shared_object("this is not C;\n");
    FAIL() << "expected a compile error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("kernel compilation failed"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

namespace {

// Processes still compiling a source this test process wrote (the compiler's
// temporary sources are named ".<hash>-<pid>-<n>.c").
int compiles_started_here() {
  std::string mark = fmt::format("-{}-", getpid());
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(mark) != std::string::npos && cmdline.find("clang") != std::string::npos) ++n;
  }
  return n;
}

}  // namespace

TEST(Compiler, CompileRunningPastItsDeadlineIsKilled) {
  // A unique source (a cache miss) that takes the compiler many seconds (10000
  // dependent statements on one array; 40000 took clang 19 400 s). A 0.2 s
  // deadline must cut it short, and kill it, not wait for it.
  std::string body;
  for (int i = 0; i < 10000; ++i)
    body += fmt::format("  a[{}] = a[{}] * {}.5f + a[{}];\n", i % 64, i * 7 % 64, i, i * 13 % 64);
  std::string src = fmt::format("// {}\nvoid slow(float* a) {{\n{}}}\n",
                                std::chrono::steady_clock::now().time_since_epoch().count(), body);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(runtime::compile_shared_object(src, 0.2), runtime::CompileTimeout);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.5);
  int left = compiles_started_here();  // a killed process may take a moment to go
  for (int i = 0; i < 100 && left > 0; ++i, left = compiles_started_here())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(left, 0) << "the driver's cc1 outlived the kill";
  EXPECT_NO_THROW(runtime::compile_shared_object("int fast_packed(void** a) { (void)a; return 0; }\n", 30));
}

TEST(Compiler, TemporariesOfProcessesNoLongerAliveAreRemoved) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / fmt::format("bcd-orphans-{}", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  pid_t gone = fork();  // a pid that surely belongs to no process once reaped
  if (gone == 0) _exit(0);
  ASSERT_GT(gone, 0);
  ASSERT_EQ(waitpid(gone, nullptr, 0), gone);
  auto touch = [&](const std::string& name) { std::ofstream(dir / name) << "x"; };
  std::string orphan_c = fmt::format(".0a1b2c3d-{}-0.c", gone), orphan_so = fmt::format(".0a1b2c3d-{}-0.so", gone);
  std::string mine = fmt::format(".0a1b2c3d-{}-7.c", getpid()), init = ".0a1b2c3d-1-0.c";
  for (const auto& name : {orphan_c, orphan_so, mine, init, std::string("0a1b2c3d.so"), std::string(".notes-1-x")})
    touch(name);

  EXPECT_EQ(runtime::remove_orphaned_temporaries(dir.string()), 2);
  EXPECT_FALSE(fs::exists(dir / orphan_c));
  EXPECT_FALSE(fs::exists(dir / orphan_so));
  for (const auto& kept : {mine, init, std::string("0a1b2c3d.so"), std::string(".notes-1-x")})
    EXPECT_TRUE(fs::exists(dir / kept)) << kept;
  EXPECT_EQ(runtime::remove_orphaned_temporaries((dir / "missing").string()), 0);
  fs::remove_all(dir);
}

TEST(Module, MissingKernelIsAnError) {
  auto m = runtime::Module::from_source("int present_packed(void** a) { (void)a; return 0; }\n");
  EXPECT_NO_THROW(m.get("present"));
  EXPECT_THROW(m.get("absent"), Error);
}

TEST(Timer, RepeatsAndMinimumRepeatTime) {
  int calls = 0;
  auto costs = runtime::time_function([&] { ++calls; }, {.number = 1, .repeat = 4, .min_repeat_ms = 0});
  EXPECT_EQ(costs.size(), 4u);
  EXPECT_EQ(calls, 5);  // one warm-up
  calls = 0;
  volatile double sink = 0;
  costs = runtime::time_function([&] { for (int i = 0; i < 1000; ++i) sink = sink + i; ++calls; },
                                 {.number = 1, .repeat = 2, .min_repeat_ms = 5});
  EXPECT_GT(calls, 3);  // short runs are repeated until a repeat lasts 5 ms
  EXPECT_THROW(runtime::time_function([] {}, {.number = 0}), Error);
}

TEST(Timer, Median) {
  EXPECT_DOUBLE_EQ(runtime::median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(runtime::median({4, 1, 2, 3}), 2.5);
}
