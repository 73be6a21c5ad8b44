// The bcd runtime from C, as an application uses it: a small C program, compiled
// here against include/bcd/runtime.h and libbcd_runtime, loads a package, runs it on
// the test's input and writes the outputs, which must equal the C++ face's; given a
// corrupt package it sees an error code and a message, and exits normally.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "graph/reference_executor.h"
#include "package/package_fixtures.h"
#include "runtime/compiler.h"

namespace bcd::testutil {
namespace {

namespace fs = std::filesystem;

constexpr const char* kProgram = R"(#include <stdio.h>
#include <stdlib.h>
#include <bcd/runtime.h>

/* usage: prog PACKAGE INPUT.raw OUTPUT.raw BAD_PACKAGE */
int main(int argc, char** argv) {
  bcd_model* m = NULL;
  if (argc != 5) return 2;
  if (bcd_model_load(argv[1], &m) != BCD_OK) { printf("load failed: %s\n", bcd_last_error()); return 1; }
  bcd_tensor_info in, out;
  if (bcd_model_num_inputs(m) != 1 || bcd_model_input(m, 0, &in) || bcd_model_output(m, 0, &out)) return 3;
  float* x = malloc(sizeof(float) * in.size);
  float* y = malloc(sizeof(float) * out.size);
  FILE* f = fopen(argv[2], "rb");
  if (!f || fread(x, sizeof(float), in.size, f) != (size_t)in.size) return 4;
  fclose(f);
  const float* inputs[] = {x};
  float* outputs[] = {y};
  if (bcd_model_run(m, inputs, outputs) != BCD_OK) { printf("run failed: %s\n", bcd_last_error()); return 1; }
  f = fopen(argv[3], "wb");
  fwrite(y, sizeof(float), out.size, f);
  fclose(f);
  printf("ran %s: input %s [%lld,%lld,%lld,%lld], output %s of %lld\n", argv[1], in.name, (long long)in.shape[0],
         (long long)in.shape[1], (long long)in.shape[2], (long long)in.shape[3], out.name, (long long)out.size);
  bcd_model_free(m);
  bcd_model* bad = NULL;
  bcd_status s = bcd_model_load(argv[4], &bad);
  printf("bad package: status %d, model %p: %s\n", (int)s, (void*)bad, bcd_last_error());
  free(x);
  free(y);
  return s == BCD_ERROR_LOAD && bad == NULL ? 0 : 5;
}
)";

std::string run(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe)) out += buf;
  int status = pclose(pipe);
  return (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok\n" : "FAILED\n") + out;
}

TEST(RuntimeCAbi, ACProgramRunsThePackageAndSeesErrorsAsCodes) {
  const std::string& package = small_squeezenet_package();
  fs::path dir = fs::temp_directory_path() / ("bcd-test-c-abi-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream((dir / "prog.c").string()) << kProgram;
  const std::string lib_dir = fs::path(BCD_RUNTIME_LIBRARY).parent_path().string();
  std::string built = run(runtime::compiler_config().compiler + " -std=c11 -Wall -Werror -I" BCD_SOURCE_DIR
                          "/include " + (dir / "prog.c").string() + " -o " + (dir / "prog").string() + " -L" +
                          lib_dir + " -lbcd_runtime -Wl,-rpath," + lib_dir);
  ASSERT_EQ(built.rfind("ok\n", 0), 0u) << built;

  graph::Graph g = small_squeezenet();
  std::vector<NDArray> inputs = graph::random_inputs(g, 21);
  std::ofstream((dir / "x.raw").string(), std::ios::binary)
      .write(reinterpret_cast<const char*>(inputs[0].data()), inputs[0].size() * sizeof(float));
  std::ofstream((dir / "bad.so").string()) << "not a package";
  std::string out = run((dir / "prog").string() + " " + package + " " + (dir / "x.raw").string() + " " +
                        (dir / "y.raw").string() + " " + (dir / "bad.so").string());
  ASSERT_EQ(out.rfind("ok\n", 0), 0u) << out;
  EXPECT_NE(out.find("input data [1,3,32,32], output"), std::string::npos) << out;
  EXPECT_NE(out.find("bad package: status 2, model (nil): "), std::string::npos) << out;

  bcd::Model model(package);
  std::vector<NDArray> want = run_package(model, inputs);
  std::ifstream y((dir / "y.raw").string(), std::ios::binary);
  std::vector<float> got(want[0].size());
  y.read(reinterpret_cast<char*>(got.data()), got.size() * sizeof(float));
  ASSERT_TRUE(y) << "the C program wrote fewer than " << got.size() << " floats";
  EXPECT_EQ(std::memcmp(got.data(), want[0].data(), got.size() * sizeof(float)), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bcd::testutil
