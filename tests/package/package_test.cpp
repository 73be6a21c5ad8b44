// A compiled package computes what the network computes: every zoo model (small
// variants) and ONNX files bcd exported, with default and recorded schedules
// (rewritten weight layouts included), through the C++ face of the bcd runtime,
// checked against the reference executor, and the same through a C program and
// `bcd run --package`; four instances in four threads give the serial outputs; the
// library depends on nothing of bcd. (Python: tests/python/test_bcd.py.)
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <fmt/format.h>
#include <limits>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <thread>

#include "executor/network_plan.h"
#include "executor/verify.h"
#include "frontends/onnx.h"
#include "frontends/zoo.h"
#include "graph/convert_layout.h"
#include "graph/reference_executor.h"
#include "graph/tasks.h"
#include "package/c_program.h"
#include "package/package_fixtures.h"
#include "package_runtime/package_format.h"
#include "testing/bcd_cli.h"
#include "schedule/hand_schedule.h"
#include "executor/hand_record.h"
#include "testing/param_names.h"

namespace bcd::testutil {
namespace {

frontends::ZooOptions small_variant(const std::string& model) {
  frontends::ZooOptions o;
  o.image_size = model == "inception_v3" ? 75 : 32;
  if (model == "bert") o.bert_layers = 2, o.bert_seq_len = 16;
  return o;
}

// The package's outputs on seeded inputs against the reference executor.
void expect_matches_reference(const graph::Graph& g, const std::string& package, uint64_t seed) {
  bcd::Model model(package);
  ASSERT_EQ(model.num_inputs(), static_cast<int>(g.inputs().size()));
  ASSERT_EQ(model.num_outputs(), static_cast<int>(g.outputs().size()));
  for (int i = 0; i < model.num_inputs(); ++i) {
    EXPECT_EQ(model.input(i).name, g.node(g.inputs()[i]).name);
    EXPECT_EQ(model.input(i).shape, g.node(g.inputs()[i]).shape);
  }
  std::vector<NDArray> inputs = graph::random_inputs(g, seed);
  std::vector<const NDArray*> args;
  for (const NDArray& a : inputs) args.push_back(&a);
  // Twice: the second run starts from the workspace the first one left.
  run_package(model, inputs);
  executor::Verification v = executor::compare_with_reference(run_package(model, inputs), g, args);
  EXPECT_TRUE(v.ok) << package << ": max rel error " << v.worst.max_rel;
  EXPECT_GT(v.worst.max_abs, 0.0) << "bit-exact against a double-precision reference?";
}

class PackageZoo : public ::testing::TestWithParam<std::string> {};

// The zoo options of small_variant as command-line flags.
std::vector<std::string> size_flags(const std::string& name) {
  frontends::ZooOptions o = small_variant(name);
  if (name == "bert")
    return {"--bert-layers", std::to_string(o.bert_layers), "--bert-seq-len", std::to_string(o.bert_seq_len)};
  return {"--image-size", std::to_string(o.image_size)};
}

TEST_P(PackageZoo, DefaultSchedulesMatchTheReferenceFromCppCAndTheCommandLine) {
  const std::string& name = GetParam();
  graph::Graph g = frontends::build_model(name, small_variant(name));
  const std::string package = compile_package(g, {}, name);
  expect_matches_reference(g, package, 7);

  // The C program on the same inputs: the same floats.
  std::vector<NDArray> inputs = graph::random_inputs(g, 7);
  std::vector<std::vector<int64_t>> shapes;
  for (int id : g.outputs()) shapes.push_back(g.node(id).shape);
  std::string log;
  std::vector<NDArray> from_c = run_c_program(package, inputs, shapes, &log);
  ASSERT_EQ(from_c.size(), shapes.size()) << log;
  bcd::Model model(package);
  std::vector<NDArray> from_cpp = run_package(model, inputs);
  for (size_t j = 0; j < shapes.size(); ++j)
    EXPECT_EQ(std::memcmp(from_c[j].data(), from_cpp[j].data(), from_cpp[j].size() * sizeof(float)), 0) << j;

  // The command line, checked against the reference.
  std::vector<std::string> args = {"run", "--package", package, "--model", name, "--repeat", "1"};
  for (const std::string& f : size_flags(name)) args.push_back(f);
  BcdRun r = run_bcd(args);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("(tolerance 0.01, seed 0): PASS"), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Package, PackageZoo, ::testing::ValuesIn(frontends::model_names()), testutil::IdentifierOfParam());

TEST(Package, AnOnnxFileBcdExportedMatchesTheReference) {
  if (!frontends::onnx_available()) GTEST_SKIP() << "bcd was built without ONNX";
  auto path = std::filesystem::temp_directory_path() / ("bcd-package-resnet-" + std::to_string(getpid()) + ".onnx");
  frontends::export_onnx(frontends::build_model("resnet-18", {.image_size = 32}), path.string());
  graph::Graph g = frontends::import_onnx(path.string());
  expect_matches_reference(g, compile_package(g, {}, "resnet18_onnx"), 8);
  std::filesystem::remove(path);
}

// A model converted to NHWC (--layout NHWC) compiles into a package that takes and
// returns the model's own NCHW tensors and computes the model as written.
TEST(Package, AModelConvertedToNhwcKeepsItsInputsAndOutputs) {
  graph::Graph g = frontends::build_model("squeezenet_v1.1", small_variant("squeezenet_v1.1"));
  expect_matches_reference(g, compile_package(graph::convert_to_nhwc(g), {}, "squeezenet_nhwc"), 9);
}

// A concatenation done in place whose result is the network's output: its
// producers write into the caller's output array, each at its slice (contiguous
// rows, or strided columns through slice writers).
TEST(Package, AConcatenationInPlaceFillsTheCallersOutput) {
  for (int64_t axis : {1, 2}) {
    graph::Graph g;
    graph::NodeAttrs rows, columns, concat;
    rows.axis = 1;
    columns.axis = 2;
    concat.axis = axis;
    int x = g.add_input("x", {1, 6, 10});
    int a = g.add_op(graph::OpType::Softmax, {x}, columns);
    int b = g.add_op(graph::OpType::Softmax, {x}, rows);
    g.mark_output(g.add_op(graph::OpType::Concat, {a, b}, concat));
    const executor::NetworkPlan plan = executor::plan_network(g);
    ASSERT_EQ(plan.concats_in_place, 1);
    EXPECT_EQ(plan.slice_writers.size(), axis == 1 ? 0u : 2u);
    expect_matches_reference(g, compile_package(g, {}, fmt::format("concat_output_{}", axis)), 10);
  }
}

// Recorded schedules: each task of a small network with the hand schedule of
// hand_record.h (parallel outer loop), and a dense whose weight the kernel reads in
// a rewritten layout, packed into the package when it is a constant and before
// every run when it is an input.
TEST(Package, RecordedSchedulesAndRewrittenWeightsMatchTheReference) {
  // In NHWC the fire modules' expand convolutions run recorded schedules as slice
  // writers of their concatenations.
  for (bool nhwc : {false, true}) {
    graph::Graph g = nhwc ? graph::convert_to_nhwc(small_squeezenet()) : small_squeezenet();
    graph::TaskSet set = graph::extract_tasks(g);
    std::vector<tuning::Record> records;
    for (const graph::Task& task : set.tasks) try {
        records.push_back(record_of(task, parallel_outer_state(*task.dag), 1e-3));
      } catch (const Error&) {
        // no even outer loop: the task keeps its default schedule
      }
    ASSERT_GT(records.size(), 3u);
    EXPECT_EQ(executor::plan_network(g).slice_writers.empty(), !nhwc);
    expect_matches_reference(g, compile_package(g, records, nhwc ? "squeezenet32_nhwc_tuned" : "squeezenet32_tuned"),
                             9);
  }

  for (bool constant : {true, false}) {
    graph::Graph d;
    int x = d.add_input("x", {4, 16});
    int w = constant ? d.add_constant("w", {8, 16}, graph::ConstantInit{.seed = 3}) : d.add_input("w", {8, 16});
    d.mark_output(d.add_op(graph::OpType::Dense, {x, w}));
    const graph::TaskSet dense_set = graph::extract_tasks(d);
    const graph::Task& task = dense_set.tasks.at(0);
    schedule::HandSchedule h(*task.dag);
    auto [n0, n1] = h.split2("dense", "dense_i1", 4);
    h.reorder("dense", {"dense_i0", n0, "k", n1});
    SCOPED_TRACE(constant ? "constant weight" : "input weight");
    expect_matches_reference(d, compile_package(d, {record_of(task, h.state(), 1e-3)}, constant ? "dense_c" : "dense_i"),
                             10);
  }
}

// A conv whose padded input (16 x 42 x 42 floats, over the stack limit) is built
// inside the parallel loop over output-channel blocks: each thread's own heap
// buffer, which the package plans as a slice of the workspace per thread
// (codegen/kernel_scratch.h). The same outputs when the workspace holds a slice for
// every thread, for none, and no scratch at all (the kernel allocates).
TEST(Package, KernelBuffersPlannedInTheWorkspaceGiveTheSameOutputsAsAllocatedOnes) {
  graph::Graph g;
  int x = g.add_input("x", {1, 16, 40, 40});
  graph::NodeAttrs conv;
  conv.conv.padding = {1, 1, 1, 1};
  g.mark_output(g.add_op(graph::OpType::Conv2D, {x, g.add_constant("w", {16, 16, 3, 3}, graph::ConstantInit{.seed = 4})},
                         conv, "conv"));
  const graph::TaskSet set = graph::extract_tasks(g);
  const graph::Task& task = set.tasks.at(0);
  schedule::HandSchedule h(*task.dag);
  auto [o0, o1] = h.split2("conv2d", "conv2d_i1", 4);
  h.parallel("conv2d", o0);
  h.compute_at("data_pad", "conv2d", o0);
  const std::string package = compile_package(g, {record_of(task, h.state(), 1e-3)}, "conv_scratch");
  expect_matches_reference(g, package, 11);

  bcd::Model model(package);
  const nlohmann::json meta = nlohmann::json::parse(model.metadata());
  const int64_t activations = meta.at("workspace_bytes"), shared = meta.at("scratch_bytes");
  const int64_t per_thread = meta.at("scratch_bytes_per_thread");
  ASSERT_GE(per_thread, 16 * 42 * 42 * 4);
  std::vector<NDArray> inputs = graph::random_inputs(g, 12);
  const std::vector<NDArray> want = run_package(model, inputs);

  void* library = dlopen(package.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr);
  auto workspace_bytes = reinterpret_cast<package::WorkspaceFn>(dlsym(library, package::kWorkspaceSymbol));
  auto run = reinterpret_cast<package::RunFn>(dlsym(library, package::kRunSymbol));
  ASSERT_TRUE(workspace_bytes && run);
  EXPECT_GE(static_cast<int64_t>(workspace_bytes()), activations + shared + per_thread);
  for (int64_t bytes : {activations + shared + 64 * per_thread, activations + shared, activations}) {
    SCOPED_TRACE(fmt::format("a workspace of {} bytes", bytes));
    NDArray workspace({bytes / 4});
    workspace.fill(std::numeric_limits<float>::quiet_NaN());
    NDArray out(want[0].shape());
    const float* in[] = {inputs[0].data()};
    float* outs[] = {out.data()};
    ASSERT_EQ(run(workspace.data(), static_cast<uint64_t>(bytes), in, outs, nullptr), 0);
    EXPECT_EQ(std::memcmp(out.data(), want[0].data(), out.size() * sizeof(float)), 0);
  }
  dlclose(library);
}

TEST(Package, FourInstancesInFourThreadsGiveTheSerialOutputs) {
  const std::string& package = small_squeezenet_package();
  graph::Graph g = small_squeezenet();
  constexpr int kThreads = 4, kRuns = 5;
  std::vector<std::vector<NDArray>> inputs(kRuns);
  std::vector<std::vector<NDArray>> serial(kRuns);
  {
    bcd::Model model(package);
    for (int r = 0; r < kRuns; ++r) {
      inputs[r] = graph::random_inputs(g, 100 + r);
      serial[r] = run_package(model, inputs[r]);
    }
  }
  std::vector<bcd::Model> models;
  for (int t = 0; t < kThreads; ++t) models.emplace_back(package);
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round)
        for (int r = 0; r < kRuns; ++r) {
          std::vector<NDArray> out = run_package(models[t], inputs[(r + t) % kRuns]);
          const NDArray& want = serial[(r + t) % kRuns][0];
          mismatches[t] += std::memcmp(out[0].data(), want.data(), want.size() * sizeof(float)) != 0;
        }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(Package, DependsOnNothingOfBcd) {
  const std::string& package = small_squeezenet_package();
  BcdRun ldd = run_shell("ldd '" + package + "'");
  const std::string& out = ldd.output;
  ASSERT_EQ(ldd.status, 0) << out;
  for (const char* forbidden : {"bcd", "xgboost", "onnx", "protobuf", "stdc++", "fmt", "nvrtc", "cuda"})
    EXPECT_EQ(out.find(forbidden), std::string::npos) << forbidden << " in\n" << out;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    bool allowed = false;
    for (const char* lib : {"linux-vdso", "libc.so", "libm.so", "libomp.so", "libgomp.so", "ld-linux"})
      allowed |= line.find(lib) != std::string::npos;
    EXPECT_TRUE(allowed) << "unexpected dependency: " << line;
  }
}

TEST(Package, MetadataNamesTheTargetVersionHashesAndShapes) {
  bcd::Model model(small_squeezenet_package());
  const std::string meta = model.metadata();
  for (const char* key : {"\"abi\":2", "\"bcd_version\"", "\"target\":\"llvm", "\"cpu_features\"", "\"model_hash\"",
                          "\"records_hash\"", "\"weights_hash\"", "\"dtype\":\"float32\""})
    EXPECT_NE(meta.find(key), std::string::npos) << key << " in " << meta;
  EXPECT_EQ(model.input(0).shape, (std::vector<int64_t>{1, 3, 32, 32}));
  EXPECT_EQ(model.output(0).size, 1000);
}

}  // namespace
}  // namespace bcd::testutil
