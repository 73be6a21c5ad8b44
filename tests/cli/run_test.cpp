// End-to-end tests of `bcd run` through the real binary: a whole SqueezeNet built,
// verified and timed, with and without records, and one-line errors on bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include "executor/hand_record.h"
#include "graph/reference_executor.h"
#include "support/npy.h"
#include "frontends/zoo.h"
#include "testing/bcd_cli.h"
#include "tuning/records.h"

namespace fs = std::filesystem;
using namespace bcd;
using namespace bcd::testutil;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The tasks of SqueezeNet at 64x64 (`--image-size 64`).
graph::TaskSet small_squeezenet_tasks() {
  frontends::ZooOptions small;
  small.image_size = 64;
  return graph::extract_tasks(frontends::build_model("squeezenet_v1.1", small));
}

// Writes to `log` one hand-made record (measured 1 ms) of the first tunable task of
// `set`, and returns that task.
const graph::Task& write_one_record(const graph::TaskSet& set, const std::string& log) {
  const graph::Task& task = testutil::first_tunable_task(set);
  tuning::RecordWriter(log).append({testutil::record_of(task, testutil::parallel_outer_state(*task.dag), 1e-3)});
  return task;
}

}  // namespace

TEST(RunCommand, SqueezeNetDefaultSchedulesVerifyAndReportLatencyAndMemory) {
  BcdRun r = run_bcd({"run", "--model", "squeezenet_v1.1", "--repeat", "2"});
  ASSERT_EQ(r.status, 0) << r.output;
  // An NCHW model runs in NHWC on a CPU by default (--layout auto).
  EXPECT_TRUE(contains(r.output, "model        squeezenet_v1.1 (in NHWC, ")) << r.output;
  EXPECT_TRUE(contains(r.output, ": 0 tuned from records, ")) << r.output;
  EXPECT_TRUE(contains(r.output, "): PASS")) << r.output;
  EXPECT_TRUE(contains(r.output, "ms end to end (median of 2)")) << r.output;
  EXPECT_TRUE(contains(r.output, "peak RSS")) << r.output;
  EXPECT_TRUE(contains(r.output, "activations")) << r.output;
}

TEST(RunCommand, NhwcLayoutVerifiesAgainstTheModelAsWritten) {
  BcdRun r = run_bcd({"run", "--model", "squeezenet_v1.1", "--image-size", "32", "--layout", "NHWC", "--repeat", "1"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "): PASS")) << r.output;
}

TEST(RunCommand, RecordsFileTunesItsTask) {
  fs::path dir = temp_dir("records");
  const std::string log = (dir / "squeezenet.jsonl").string();
  graph::TaskSet set = small_squeezenet_tasks();
  const graph::Task& task = write_one_record(set, log);

  BcdRun r = run_bcd({"run", "--model", "squeezenet_v1.1", "--image-size", "64", "--records", log, "--repeat", "1",
                      "-v"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, fmt::format("{} total: 1 tuned from records, {} default schedules",
                                             set.tasks.size(), set.tasks.size() - 1)))
      << r.output;
  EXPECT_TRUE(contains(r.output, "  " + task.name + " ")) << r.output;
  EXPECT_TRUE(contains(r.output, "tuned (1.0000 ms measured)")) << r.output;
  EXPECT_TRUE(contains(r.output, "): PASS")) << r.output;
  // Records of the model as written keep it as written.
  EXPECT_TRUE(contains(r.output, "model        squeezenet_v1.1 (31 steps")) << r.output;
  fs::remove_all(dir);
}

TEST(RunCommand, RecordedScheduleThatDoesNotCompileRunsTheDefaultWithAWarning) {
  fs::path dir = temp_dir("fallback");
  const std::string log = (dir / "squeezenet.jsonl").string();
  graph::TaskSet set = small_squeezenet_tasks();
  const graph::Task& task = write_one_record(set, log);
  // A compiler that refuses every tuned program (they export candidate_packed) and
  // hands the rest to the real one, with a kernel cache of its own.
  const std::string cc = (dir / "cc.sh").string();
  {
    std::ofstream out(cc);
    out << "#!/bin/sh\n"
           "for a in \"$@\"; do\n"
           "  case \"$a\" in *.c) if grep -q candidate_packed \"$a\"; then echo 'error: refused' >&2; exit 1; fi ;; esac\n"
           "done\n"
           "command -v clang-19 >/dev/null && exec clang-19 \"$@\"\n"
           "exec clang \"$@\"\n";
  }
  fs::permissions(cc, fs::perms::owner_all);
  BcdRun r;
  {
    ScopedEnv compiler("BCD_CC", cc), cache("BCD_CACHE_DIR", (dir / "cache").string());
    r = run_bcd({"run", "--model", "squeezenet_v1.1", "--image-size", "64", "--records", log, "--repeat", "1"});
  }
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, fmt::format("bcd: warning: task {}: its recorded schedule does not compile (",
                                             task.name)))
      << r.output;
  EXPECT_TRUE(contains(r.output, "error: refused); it runs the default schedule")) << r.output;
  EXPECT_TRUE(contains(r.output, fmt::format("{} total: 0 tuned from records", set.tasks.size()))) << r.output;
  EXPECT_TRUE(contains(r.output, "): PASS")) << r.output;
  fs::remove_all(dir);
}

TEST(RunCommand, NoVerifySkipsTheReference) {
  BcdRun r = run_bcd({"run", "--model", "bert", "--bert-layers", "1", "--bert-seq-len", "16", "--repeat", "1",
                      "--no-verify"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "verify       skipped (--no-verify)")) << r.output;
  EXPECT_TRUE(contains(r.output, "x the weights)")) << r.output;
}

// GNU's OpenMP runtime (XGBoost's) binds the process to one CPU when it sees a
// binding variable; bcd hides them from it, or every kernel would run on one
// thread (cli/openmp_binding.cpp).
TEST(RunCommand, OpenMpBindingVariablesLeaveTheKernelsEveryCpu) {
  auto cpus_line = [](const BcdRun& r) {
    const auto at = r.output.find("\ncpus ");
    return at == std::string::npos ? std::string() : r.output.substr(at + 1, r.output.find('\n', at + 1) - at - 1);
  };
  const std::vector<std::string> args = {"run", "--model", "bert", "--bert-layers", "1", "--bert-seq-len", "16",
                                         "--repeat", "1", "--no-verify", "--verbose"};
  BcdRun plain = run_bcd(args);
  ASSERT_EQ(plain.status, 0) << plain.output;
  ASSERT_NE(cpus_line(plain), "") << plain.output;
  testutil::ScopedEnv bind("OMP_PROC_BIND", "true");
  testutil::ScopedEnv places("OMP_PLACES", "cores");
  BcdRun bound = run_bcd(args);
  ASSERT_EQ(bound.status, 0) << bound.output;
  EXPECT_EQ(cpus_line(bound), cpus_line(plain));
}

TEST(RunCommand, UnknownModelIsAOneLineError) {
  expect_one_line_error(run_bcd({"run", "--model", "resnet-1000"}), "unknown model 'resnet-1000'");
}

TEST(RunCommand, MissingRecordsFileIsAOneLineError) {
  expect_one_line_error(run_bcd({"run", "--model", "squeezenet_v1.1", "--records", "/nonexistent/r.jsonl"}),
                        "records file '/nonexistent/r.jsonl' does not exist");
}

TEST(RunCommand, MalformedRecordsFileIsAOneLineErrorNamingTheLine) {
  fs::path dir = temp_dir("malformed");
  const std::string log = (dir / "bad.jsonl").string();
  std::ofstream(log) << "this is not a record\n{\"v\":1}\n";
  expect_one_line_error(run_bcd({"run", "--model", "squeezenet_v1.1", "--records", log}), log + ":1");
  fs::remove_all(dir);
}

TEST(RunCommand, UnknownTargetIsAOneLineError) {
  expect_one_line_error(run_bcd({"run", "--model", "squeezenet_v1.1", "--target", "rocm"}), "unknown target 'rocm'");
}

#ifdef BCD_HAVE_ONNX
// --input-shape reaches the importer from every model command; options of the other
// kind of model are one-line errors.
TEST(ModelOptions, InputShapeBindsAnOnnxModelsDynamicDimensionsAndZooOptionsDoNotApply) {
  const auto dir = testutil::temp_dir("input_shape");
  const std::string model = (dir / "mlp.onnx").string();
  ASSERT_EQ(testutil::run_bcd({"export-onnx", "--model", "bert", "--bert-layers", "1", "--bert-seq-len", "8",
                               "--out", model}).status, 0);
  // The exported file has static shapes: binding one to its own value is accepted,
  // another value is refused.
  EXPECT_EQ(testutil::run_bcd({"tasks", "--model", model, "--input-shape", "embeddings=8x768"}).status, 0);
  testutil::expect_one_line_error(
      testutil::run_bcd({"tasks", "--model", model, "--input-shape", "embeddings=9x768"}),
      "sets dimension 0 to 9, but the model fixes it at 8");
  testutil::expect_one_line_error(testutil::run_bcd({"tasks", "--model", "squeezenet_v1.1", "--input-shape", "x=1"}),
                                  "--input-shape applies to .onnx models");
  testutil::expect_one_line_error(testutil::run_bcd({"tasks", "--model", model, "--image-size", "32"}),
                                  "--image-size applies to zoo models");
  testutil::expect_one_line_error(testutil::run_bcd({"tasks", "--model", model, "--input-shape", "x=0"}),
                                  "dimension '0' is not a positive integer");
  std::filesystem::remove_all(dir);
}
#endif

// The user's own input in, the network's output out, as .npy files; the output is
// what the reference executor computes on that input.
TEST(RunCommand, InputAndOutputNpyFilesRunTheUsersData) {
  const auto dir = testutil::temp_dir("run_npy");
  frontends::ZooOptions zoo;
  zoo.image_size = 32;
  const graph::Graph g = frontends::build_model("squeezenet_v1.1", zoo);
  NDArray x(g.node(g.inputs()[0]).shape);
  std::mt19937_64 rng(42);
  x.fill_random(rng);
  const std::string in = (dir / "x.npy").string(), out = (dir / "y.npy").string();
  write_npy(in, x);
  BcdRun r = run_bcd({"run", "--model", "squeezenet_v1.1", "--image-size", "32", "--repeat", "1", "--input",
                      "data=" + in, "--output", out});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("--input files): PASS"), std::string::npos) << r.output;
  const NDArray y = read_npy(out);
  const auto expected = graph::run_reference(g, {&x});
  ASSERT_EQ(y.shape(), expected[0].shape());
  EXPECT_LT(compare_arrays(y, expected[0]).max_rel, 1e-3);
  // A file of the wrong shape, a name that is no input, a missing file: one line each.
  NDArray small({1, 3, 8, 8});
  write_npy((dir / "small.npy").string(), small);
  expect_one_line_error(run_bcd({"run", "--model", "squeezenet_v1.1", "--image-size", "32", "--input",
                                 (dir / "small.npy").string()}),
                        "input 'data' has shape [1,3,32,32], the file holds [1,3,8,8]");
  expect_one_line_error(
      run_bcd({"run", "--model", "squeezenet_v1.1", "--image-size", "32", "--input", "pixels=" + in}),
      "name one of the network's inputs as NAME=FILE");
  expect_one_line_error(run_bcd({"run", "--model", "squeezenet_v1.1", "--image-size", "32", "--input",
                                 (dir / "none.npy").string()}),
                        "cannot open the .npy file");
  std::filesystem::remove_all(dir);
}
