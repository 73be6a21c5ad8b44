// `bcd compile` and `bcd run --package` through the real binary: a package built
// from records runs the user's .npy and .npz files and gives the reference's
// answer, the same as `bcd run --model`; bad input gets one line.
#include <gtest/gtest.h>

#include <filesystem>

#include "executor/hand_record.h"
#include "frontends/onnx.h"
#include "frontends/zoo.h"
#include "graph/reference_executor.h"
#include "support/npy.h"
#include "support/npz.h"
#include "testing/bcd_cli.h"
#include "tuning/records.h"

namespace bcd::testutil {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(CompileCommand, APackageFromRecordsRunsTheUsersNpyAndMatchesTheModelRun) {
  const auto dir = temp_dir("compile_cli");
  const graph::Graph g = frontends::build_model("squeezenet_v1.1", {.image_size = 32});
  const graph::TaskSet set = graph::extract_tasks(g);
  const std::string records = (dir / "records.json").string(), package = (dir / "sq.so").string();
  const graph::Task& task = first_tunable_task(set);
  tuning::RecordWriter(records).append({record_of(task, parallel_outer_state(*task.dag), 1e-3)});

  BcdRun c = run_bcd({"compile", "--model", "squeezenet_v1.1", "--image-size", "32", "--records", records, "-o",
                      package});
  ASSERT_EQ(c.status, 0) << c.output;
  EXPECT_TRUE(contains(c.output, "1 tuned from records")) << c.output;
  EXPECT_TRUE(contains(c.output, "bcd run --package " + package)) << c.output;

  NDArray x = std::move(random_arrays({g.node(g.inputs()[0]).shape}, 42)[0]);
  const std::string in = (dir / "x.npy").string();
  write_npy(in, x);
  BcdRun r = run_bcd({"run", "--package", package, "--model", "squeezenet_v1.1", "--image-size", "32", "--input", in,
                      "--output", (dir / "y.npz").string(), "--repeat", "2"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "1 of ")) << r.output;
  EXPECT_TRUE(contains(r.output, "--input files): PASS")) << r.output;
  EXPECT_TRUE(contains(r.output, "latency      ")) << r.output;
  auto y = read_npz((dir / "y.npz").string());
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].first, g.node(g.outputs()[0]).name);
  const auto expected = graph::run_reference(g, {&x});
  EXPECT_LT(compare_arrays(y[0].second, expected[0]).max_rel, 1e-3);

  // The in-process network computes the same floats.
  BcdRun m = run_bcd({"run", "--model", "squeezenet_v1.1", "--image-size", "32", "--records", records, "--input", in,
                      "--output", (dir / "m.npy").string(), "--repeat", "1"});
  ASSERT_EQ(m.status, 0) << m.output;
  EXPECT_LT(compare_arrays(read_npy((dir / "m.npy").string()), y[0].second).max_abs, 1e-5);

  // Without --model there is nothing to check against, and it says so.
  BcdRun alone = run_bcd({"run", "--package", package, "--repeat", "1"});
  ASSERT_EQ(alone.status, 0) << alone.output;
  EXPECT_TRUE(contains(alone.output, "verify       skipped (give --model")) << alone.output;

  // A wrong shape names the input and both shapes; options that do not apply, one line.
  write_npy((dir / "small.npy").string(), NDArray({1, 3, 8, 8}));
  expect_one_line_error(run_bcd({"run", "--package", package, "--input", (dir / "small.npy").string()}),
                        "input 'data' has shape [1,3,32,32], the file holds [1,3,8,8]");
  expect_one_line_error(run_bcd({"run", "--package", package, "--records", records}), "a package holds its schedules");
  expect_one_line_error(run_bcd({"run", "--package", (dir / "absent.so").string()}), "cannot open package");
  expect_one_line_error(run_bcd({"run", "--package", package, "--model", "resnet-18"}), "does not match the package");
  std::filesystem::remove_all(dir);
}

// Several inputs and outputs by name in one .npz each, through an ONNX model.
TEST(CompileCommand, NpzFilesCarryEveryInputAndOutputByName) {
  if (!frontends::onnx_available()) GTEST_SKIP() << "bcd was built without ONNX";
  const auto dir = temp_dir("compile_npz");
  graph::Graph g;
  int a = g.add_input("a", {2, 8});
  int b = g.add_input("b", {2, 8});
  int sum = g.add_op(graph::OpType::Add, {a, b});
  g.mark_output(sum);
  g.mark_output(g.add_op(graph::OpType::Relu, {sum}));
  const std::string model = (dir / "two.onnx").string(), package = (dir / "two.so").string();
  frontends::export_onnx(g, model);
  graph::Graph imported = frontends::import_onnx(model);
  std::vector<std::string> out_names;
  for (int id : imported.outputs()) out_names.push_back(imported.node(id).name);

  ASSERT_EQ(run_bcd({"compile", "--model", model, "-o", package}).status, 0);
  std::vector<NDArray> inputs = random_arrays({{2, 8}, {2, 8}}, 5);
  std::vector<NDArray> swapped;  // any order
  swapped.push_back(inputs[1].copy());
  swapped.push_back(inputs[0].copy());
  write_npz((dir / "in.npz").string(), {"b", "a"}, swapped);
  BcdRun r = run_bcd({"run", "--package", package, "--model", model, "--input", (dir / "in.npz").string(), "--output",
                      (dir / "out.npz").string()});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, ": PASS")) << r.output;
  auto out = read_npz((dir / "out.npz").string());
  ASSERT_EQ(out.size(), 2u);
  const auto expected = graph::run_reference(imported, {&inputs[0], &inputs[1]});
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(out[i].first, out_names[i]);
    EXPECT_LT(compare_arrays(out[i].second, expected[i]).max_rel, 1e-5);
  }
  write_npz((dir / "half.npz").string(), {"a"}, random_arrays({{2, 8}}, 1));
  expect_one_line_error(run_bcd({"run", "--package", package, "--input", (dir / "half.npz").string()}),
                        "has no array named 'b'");
  write_npz((dir / "extra.npz").string(), {"a", "b", "c"}, random_arrays({{2, 8}, {2, 8}, {2, 8}}, 1));
  expect_one_line_error(run_bcd({"run", "--package", package, "--input", (dir / "extra.npz").string()}),
                        "holds 'c', which is not an input (inputs: a, b)");
  std::filesystem::remove_all(dir);
}

TEST(CompileCommand, BadInputIsAOneLineError) {
  const auto dir = temp_dir("compile_bad");
  expect_one_line_error(run_bcd({"compile", "--model", "no_such_model", "-o", (dir / "x.so").string()}),
                        "no_such_model");
  expect_one_line_error(
      run_bcd({"compile", "--model", "squeezenet_v1.1", "--records", (dir / "none.json").string()}),
      "records file");
  expect_one_line_error(run_bcd({"compile", "--model", "squeezenet_v1.1", "--target", "cuda", "-o",
                                 (dir / "x.so").string()}),
                        "packages run on the CPU for now");
  expect_one_line_error(run_bcd({"compile", "--model", "squeezenet_v1.1", "-o", (dir / "no" / "dir" / "x.so").string()}),
                        "does not exist");
  EXPECT_FALSE(std::filesystem::exists(dir / "x.so"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bcd::testutil
