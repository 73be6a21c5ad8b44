// What the bcd runtime refuses, each with one line and an error status, never a
// crash: a missing file, a file that is not a library, a library that is not a
// package, a package of another ABI version, a truncated package, corrupt weights,
// a CPU without a feature the kernels need; and bad arguments to the C calls.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bcd/runtime.h"
#include "package/package_fixtures.h"
#include "runtime/compiler.h"
#include "testing/scratch_dir.h"

namespace bcd::testutil {
namespace {

namespace fs = std::filesystem;

const fs::path& scratch() {
  static const ScratchDir dir("bcd-test-refusals");
  return dir.path();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Loading `path` fails with `status` and one line containing `part`.
void expect_refused(const std::string& path, bcd_status status, const std::string& part) {
  bcd_model* model = reinterpret_cast<bcd_model*>(0x1);
  EXPECT_EQ(bcd_model_load(path.c_str(), &model), status) << path;
  EXPECT_EQ(model, nullptr);
  const std::string message = bcd_last_error();
  EXPECT_NE(message.find(part), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// A shared library built from C `source`, through the kernel compiler.
std::string shared_library(const std::string& name, const std::string& source) {
  std::string c = (scratch() / (name + ".c")).string(), so = (scratch() / (name + ".so")).string();
  write_bytes(c, source);
  runtime::link_shared_library({c}, so);
  return so;
}

TEST(RuntimeRefusals, MissingFileAndNotALibrary) {
  expect_refused((scratch() / "absent.so").string(), BCD_ERROR_LOAD, "cannot open");
  write_bytes((scratch() / "text.so").string(), "hello, I am not a library\n");
  expect_refused((scratch() / "text.so").string(), BCD_ERROR_LOAD, "not a shared library");
}

TEST(RuntimeRefusals, ALibraryThatIsNotAPackage) {
  expect_refused(shared_library("plain", "int answer(void) { return 42; }\n"), BCD_ERROR_LOAD,
                 "not a bcd package");
}

TEST(RuntimeRefusals, APackageOfAnotherAbiVersion) {
  expect_refused(shared_library("abi1", "int bcd_package_abi_version(void) { return 1; }\n"), BCD_ERROR_LOAD,
                 "ABI version 1");
}

TEST(RuntimeRefusals, ATruncatedPackage) {
  const std::string bytes = read_bytes(small_squeezenet_package());
  for (size_t keep : {bytes.size() / 2, bytes.size() - 100, size_t{64}, size_t{10}}) {
    std::string path = (scratch() / ("truncated" + std::to_string(keep) + ".so")).string();
    write_bytes(path, bytes.substr(0, keep));
    SCOPED_TRACE(keep);
    expect_refused(path, BCD_ERROR_LOAD, keep == 10 ? "not a shared library" : "truncated");
  }
}

TEST(RuntimeRefusals, CorruptWeights) {
  const std::string& package = small_squeezenet_package();
  std::string bytes = read_bytes(package);
  // Find the weights in the file by their first bytes, then flip one in the middle.
  void* library = dlopen(package.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  auto weights = reinterpret_cast<const unsigned char* (*)(uint64_t*)>(dlsym(library, "bcd_package_weights"));
  ASSERT_NE(weights, nullptr);
  uint64_t size = 0;
  const unsigned char* data = weights(&size);
  ASSERT_GT(size, 1024u);
  size_t at = bytes.find(std::string(reinterpret_cast<const char*>(data), 1024));
  dlclose(library);
  ASSERT_NE(at, std::string::npos);
  at += size / 2;
  bytes[at] = static_cast<char>(bytes[at] ^ 0x5a);
  std::string path = (scratch() / "corrupt.so").string();
  write_bytes(path, bytes);
  expect_refused(path, BCD_ERROR_LOAD, "do not match their hash");
}

TEST(RuntimeRefusals, ACpuWithoutAFeatureTheKernelsUse) {
  const std::string& package = small_squeezenet_package();
  bcd_model* model = nullptr;
  ASSERT_EQ(bcd_model_load(package.c_str(), &model), BCD_OK) << bcd_last_error();
  const std::string meta = bcd_model_metadata(model);
  bcd_model_free(model);
  // The last feature the package requires (the list is sorted).
  size_t list = meta.find("\"cpu_features\":[");
  ASSERT_NE(list, std::string::npos) << meta;
  size_t end = meta.find(']', list);
  size_t open = meta.rfind("\"", meta.rfind("\"", end) - 1);
  if (end == list + 16) GTEST_SKIP() << "the package requires no checkable feature";
  std::string feature = meta.substr(open + 1, meta.rfind("\"", end) - open - 1);
  setenv("BCD_RUNTIME_HIDE_CPU_FEATURES", ("sse3," + feature).c_str(), 1);
  expect_refused(package, BCD_ERROR_LOAD, "compiled for a CPU with sse3");
  setenv("BCD_RUNTIME_HIDE_CPU_FEATURES", feature.c_str(), 1);
  expect_refused(package, BCD_ERROR_LOAD, "compiled for a CPU with " + feature + ", which this CPU lacks");
  unsetenv("BCD_RUNTIME_HIDE_CPU_FEATURES");
}

TEST(RuntimeRefusals, BadArgumentsAreStatusesNotCrashes) {
  bcd_model* model = nullptr;
  EXPECT_EQ(bcd_model_load(nullptr, &model), BCD_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(bcd_model_load("x.so", nullptr), BCD_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(bcd_model_run(nullptr, nullptr, nullptr), BCD_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(bcd_model_num_inputs(nullptr), -1);
  bcd_model_free(nullptr);
  ASSERT_EQ(bcd_model_load(small_squeezenet_package().c_str(), &model), BCD_OK) << bcd_last_error();
  bcd_tensor_info info;
  EXPECT_EQ(bcd_model_input(model, 1, &info), BCD_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(bcd_last_error()).find("out of range"), std::string::npos) << bcd_last_error();
  EXPECT_EQ(bcd_model_input(model, 0, &info), BCD_OK);
  EXPECT_EQ(info.ndim, 4);
  const float* in[] = {nullptr};
  float out_buffer[1000];
  float* out[] = {out_buffer};
  EXPECT_EQ(bcd_model_run(model, in, out), BCD_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(bcd_last_error()).find("is null"), std::string::npos) << bcd_last_error();
  bcd_model_free(model);
}

}  // namespace
}  // namespace bcd::testutil
