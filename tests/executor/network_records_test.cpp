// A network built from records runs the recorded schedule of each task that has
// one (and the default schedule elsewhere), still computes the reference's answer,
// and a record that does not fit its task is a one-line error.
#include <gtest/gtest.h>

#include <filesystem>

#include "executor/hand_record.h"
#include "executor/network.h"
#include "executor/verify.h"
#include "frontends/zoo.h"
#include "schedule/hand_schedule.h"
#include "testing/error_of.h"

namespace bcd::executor {
namespace {

graph::Graph small_resnet() {
  frontends::ZooOptions o;
  o.image_size = 32;
  return frontends::build_model("resnet-18", o);
}

TEST(ExecutorRecords, RecordedScheduleIsUsedAndStillMatchesTheReference) {
  graph::Graph g = small_resnet();
  graph::TaskSet set = graph::extract_tasks(g);
  const graph::Task& task = testutil::first_tunable_task(set);
  schedule::State state = testutil::parallel_outer_state(*task.dag);

  // Through a real records file, with a slower record and an error record of the
  // same task that must not win, and a record of a workload the network lacks.
  std::vector<tuning::Record> written = {testutil::record_of(task, state, 2e-3),
                                         testutil::record_of(task, schedule::State(*task.dag), 5e-3)};
  tuning::Record failed = testutil::record_of(task, schedule::State(*task.dag), 1e-6);
  failed.result.costs.clear();
  failed.result.error = runtime::MeasureError::Runtime;
  written.push_back(failed);
  tuning::Record stranger = written[0];
  stranger.workload_key = "0123456789abcdef";
  written.push_back(stranger);
  const std::string path =
      (std::filesystem::temp_directory_path() / ("bcd-executor-records-" + std::to_string(getpid()) + ".jsonl"))
          .string();
  std::filesystem::remove(path);
  tuning::RecordWriter(path).append(written);
  std::vector<tuning::Record> records = tuning::load_records(path);
  std::filesystem::remove(path);

  Network net = Network::build(g, records);
  const TaskKernels& kernels = net.kernels();
  EXPECT_EQ(kernels.tuned_count(), 1);
  for (const TaskKernel& k : kernels.kernels) {
    if (k.workload_key == task.workload_key) {
      EXPECT_TRUE(k.tuned) << k.name;
      EXPECT_DOUBLE_EQ(k.record_seconds, 2e-3);  // the fastest successful record
      EXPECT_NE(k.source.find("int candidate_packed("), std::string::npos) << k.source;
      // Its loops read the conv weight in another order: the network rewrites it.
      EXPECT_EQ(k.packs.size(), 1u);
    } else {
      EXPECT_FALSE(k.tuned) << k.name;
      EXPECT_NE(k.source.find("int default_kernel_packed("), std::string::npos) << k.name << " is not the default";
    }
  }
  Verification v = verify_network(net, g, /*seed=*/5);
  EXPECT_TRUE(v.ok) << "max rel error " << v.worst.max_rel;
}

// A weight that the tuned kernel reads rewritten (lower/layout_rewrite.h): a
// constant is rewritten once when the network is built, a graph input before
// every call; the network computes the reference's answer either way.
TEST(ExecutorRecords, RewrittenWeightsArePackedOnceWhenConstantAndEveryRunOtherwise) {
  for (bool constant : {true, false}) {
    graph::Graph g;
    int x = g.add_input("x", {4, 16});
    int w = constant ? g.add_constant("w", {8, 16}, graph::ConstantInit{.seed = 3}) : g.add_input("w", {8, 16});
    g.mark_output(g.add_op(graph::OpType::Dense, {x, w}));
    graph::TaskSet set = graph::extract_tasks(g);
    ASSERT_EQ(set.tasks.size(), 1u);
    const graph::Task& task = set.tasks[0];
    schedule::HandSchedule h(*task.dag);
    auto [n0, n1] = h.split2("dense", "dense_i1", 4);
    h.reorder("dense", {"dense_i0", n0, "k", n1});
    Network net = Network::build(g, {testutil::record_of(task, h.state(), 1e-3)});
    const TaskKernel& k = net.kernels().kernels[0];
    ASSERT_TRUE(k.tuned);
    ASSERT_EQ(k.packs.size(), 1u);
    EXPECT_EQ(k.packs[0].input, 1);
    EXPECT_NE(k.source.find("_rewritten"), std::string::npos) << k.source;
    Verification v = verify_network(net, g, /*seed=*/5);
    EXPECT_TRUE(v.ok) << (constant ? "constant" : "input") << " weight: max rel error " << v.worst.max_rel;
  }
}

TEST(ExecutorRecords, RecordsOfAnotherTargetAreIgnored) {
  graph::Graph g = small_resnet();
  graph::TaskSet set = graph::extract_tasks(g);
  const graph::Task& task = testutil::first_tunable_task(set);
  tuning::Record r = testutil::record_of(task, testutil::parallel_outer_state(*task.dag), 1e-3);
  r.target = "cuda";
  EXPECT_EQ(Network::build(g, {r}).kernels().tuned_count(), 0);
}

// A record that does not replay on its task (a damaged or foreign line) costs that
// task its tuning, with a warning naming the task and the workload; the network
// builds and computes the reference's answer.
TEST(ExecutorRecords, RecordThatDoesNotApplyFallsBackToTheDefaultWithAWarning) {
  graph::Graph g = small_resnet();
  graph::TaskSet set = graph::extract_tasks(g);
  const graph::Task& task = testutil::first_tunable_task(set);
  tuning::Record r = testutil::record_of(task, schedule::State(*task.dag), 1e-3);
  r.steps = {schedule::compute_inline_step(999)};  // no such stage
  Network net = Network::build(g, {r});
  EXPECT_EQ(net.kernels().tuned_count(), 0);
  ASSERT_EQ(net.kernels().warnings.size(), 1u);
  const std::string& warning = net.kernels().warnings[0];
  EXPECT_NE(warning.find("task " + task.name + ": "), std::string::npos) << warning;
  EXPECT_NE(warning.find(task.workload_key), std::string::npos) << warning;
  EXPECT_NE(warning.find("it runs the default schedule"), std::string::npos) << warning;
  EXPECT_TRUE(verify_network(net, g, /*seed=*/6).ok);
}

TEST(ExecutorRecords, UnknownTargetIsAnError) {
  const std::string message = testutil::error_of([&] { Target::parse("rocm"); });
  EXPECT_NE(message.find("unknown target 'rocm'"), std::string::npos) << message;
}

}  // namespace
}  // namespace bcd::executor
