#include "package/c_program.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "runtime/compiler.h"
#include "testing/bcd_cli.h"
#include "testing/scratch_dir.h"

namespace bcd::testutil {

namespace {

namespace fs = std::filesystem;

constexpr const char* kProgram = R"(#include <stdio.h>
#include <stdlib.h>
#include <bcd/runtime.h>

static int io(const char* dir, const char* kind, int i, float* data, int64_t n, int write) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s%d.raw", dir, kind, i);
  FILE* f = fopen(path, write ? "wb" : "rb");
  if (!f) return 0;
  size_t done = write ? fwrite(data, sizeof(float), (size_t)n, f) : fread(data, sizeof(float), (size_t)n, f);
  fclose(f);
  return done == (size_t)n;
}

int main(int argc, char** argv) {
  bcd_model* m = NULL;
  if (argc != 3 && argc != 4) return 2;
  if (bcd_model_load(argv[1], &m) != BCD_OK) { printf("load failed: %s\n", bcd_last_error()); return 1; }
  int ni = bcd_model_num_inputs(m), no = bcd_model_num_outputs(m);
  const float** inputs = malloc(sizeof(float*) * (size_t)(ni + 1));
  float** outputs = malloc(sizeof(float*) * (size_t)(no + 1));
  for (int i = 0; i < ni; ++i) {
    bcd_tensor_info t;
    if (bcd_model_input(m, i, &t) != BCD_OK) return 3;
    float* x = malloc(sizeof(float) * (size_t)t.size);
    if (!io(argv[2], "in", i, x, t.size, 0)) { printf("cannot read input %d\n", i); return 4; }
    inputs[i] = x;
    printf("input %s [", t.name);
    for (int d = 0; d < t.ndim; ++d) printf(d ? ",%lld" : "%lld", (long long)t.shape[d]);
    printf("]\n");
  }
  for (int j = 0; j < no; ++j) {
    bcd_tensor_info t;
    if (bcd_model_output(m, j, &t) != BCD_OK) return 3;
    outputs[j] = malloc(sizeof(float) * (size_t)t.size);
  }
  if (bcd_model_run(m, inputs, outputs) != BCD_OK) { printf("run failed: %s\n", bcd_last_error()); return 1; }
  for (int j = 0; j < no; ++j) {
    bcd_tensor_info t;
    bcd_model_output(m, j, &t);
    if (!io(argv[2], "out", j, outputs[j], t.size, 1)) return 5;
    printf("output %s of %lld\n", t.name, (long long)t.size);
    free(outputs[j]);
  }
  for (int i = 0; i < ni; ++i) free((void*)inputs[i]);
  free(inputs);
  free(outputs);
  bcd_model_free(m);
  if (argc == 4) {
    bcd_model* bad = NULL;
    bcd_status s = bcd_model_load(argv[3], &bad);
    printf("bad package: status %d, model %p: %s\n", (int)s, (void*)bad, bcd_last_error());
    return s == BCD_ERROR_LOAD && bad == NULL ? 0 : 6;
  }
  return 0;
}
)";

std::string shell(const std::string& command, bool* ok) {
  BcdRun r = run_shell(command);
  *ok = r.status == 0;
  return r.output;
}

const fs::path& scratch() {
  static const ScratchDir dir("bcd-test-c-program");
  return dir.path();
}

}  // namespace

const std::string& c_program() {
  static const std::string path = [] {
    const fs::path source = scratch() / "prog.c", program = scratch() / "prog";
    std::ofstream(source) << kProgram;
    const std::string lib = fs::path(BCD_RUNTIME_LIBRARY).parent_path().string();
    bool ok = false;
    std::string log = shell(runtime::compiler_config().compiler + " -std=c11 -Wall -Werror -I" BCD_SOURCE_DIR
                            "/include " + source.string() + " -o " + program.string() + " -L" + lib +
                                " -lbcd_runtime -Wl,-rpath," + lib,
                            &ok);
    if (!ok) ADD_FAILURE() << "the C program does not compile:\n" << log;
    return program.string();
  }();
  return path;
}

std::vector<NDArray> run_c_program(const std::string& package, const std::vector<NDArray>& inputs,
                                   const std::vector<std::vector<int64_t>>& output_shapes, std::string* log,
                                   const std::string& bad_package) {
  static std::atomic<int> counter{0};
  const fs::path dir = scratch() / ("run" + std::to_string(counter++));
  fs::create_directories(dir);
  for (size_t i = 0; i < inputs.size(); ++i)
    std::ofstream((dir / ("in" + std::to_string(i) + ".raw")).string(), std::ios::binary)
        .write(reinterpret_cast<const char*>(inputs[i].data()), inputs[i].size() * sizeof(float));
  bool ok = false;
  *log = shell(c_program() + " " + package + " " + dir.string() + (bad_package.empty() ? "" : " " + bad_package),
               &ok);
  std::vector<NDArray> outputs;
  for (size_t j = 0; ok && j < output_shapes.size(); ++j) {
    NDArray& o = outputs.emplace_back(output_shapes[j]);
    std::ifstream in((dir / ("out" + std::to_string(j) + ".raw")).string(), std::ios::binary);
    in.read(reinterpret_cast<char*>(o.data()), o.size() * sizeof(float));
    ok = static_cast<bool>(in);
  }
  fs::remove_all(dir);
  if (!ok) outputs.clear();
  return outputs;
}

}  // namespace bcd::testutil
