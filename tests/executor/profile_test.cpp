// `bcd run --profile` and executor::profile_network: one time per step of the
// network, in execution order, and the end-to-end time; the command line prints a
// row per step with its task and schedule, and the time outside the kernels.
#include <gtest/gtest.h>

#include "executor/hand_record.h"
#include "executor/profile.h"
#include "frontends/zoo.h"
#include "graph/reference_executor.h"
#include "testing/bcd_cli.h"

namespace bcd::executor {
namespace {

TEST(NetworkProfile, OneMedianPerStepAndTheEndToEndTime) {
  graph::Graph g = frontends::build_model("squeezenet_v1.1", {.image_size = 32});
  Network net = Network::build(g, {});
  std::vector<NDArray> inputs = graph::random_inputs(g, 1);
  std::vector<const NDArray*> args;
  for (const NDArray& a : inputs) args.push_back(&a);
  NetworkProfile p = profile_network(net, args, 3);
  ASSERT_EQ(static_cast<int>(p.step_seconds.size()), net.num_steps());
  for (double s : p.step_seconds) EXPECT_GT(s, 0.0);
  EXPECT_GT(p.end_to_end_seconds, 0.0);
  EXPECT_GT(p.steps_seconds(), 0.0);
  // The per-step clock does not change what the network computes.
  std::vector<double> steps;
  std::vector<NDArray> timed = net.run(args, &steps);
  std::vector<NDArray> plain = net.run(args);
  EXPECT_EQ(static_cast<int>(steps.size()), net.num_steps());
  EXPECT_EQ(std::memcmp(timed[0].data(), plain[0].data(), plain[0].size() * sizeof(float)), 0);
  EXPECT_THROW(profile_network(net, args, 0), Error);
}

// The rows of `bcd run --profile`'s table: (steps, tuned steps).
std::pair<int, int> profile_rows(const std::string& output) {
  int rows = 0, tuned = 0;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" ms ") != std::string::npos && line.find('%') != std::string::npos &&
        (line.find(" default ") != std::string::npos || line.find(" tuned ") != std::string::npos))
      ++rows, tuned += line.find(" tuned ") != std::string::npos;
  }
  return {rows, tuned};
}

// The same table for the network built in memory and for its compiled package
// (whose entry point reads the clock around each step when asked).
TEST(NetworkProfile, TheCommandLinePrintsEveryStepAndTheTimeOutsideKernels) {
  const auto dir = testutil::temp_dir("profile");
  const graph::TaskSet set = graph::extract_tasks(frontends::build_model("squeezenet_v1.1", {.image_size = 32}));
  const graph::Task& task = testutil::first_tunable_task(set);
  const std::string records = (dir / "records.json").string();
  tuning::RecordWriter(records).append({testutil::record_of(task, testutil::parallel_outer_state(*task.dag), 1e-3)});
  const std::string package = (dir / "squeezenet.so").string();
  testutil::BcdRun compiled = testutil::run_bcd(
      {"compile", "--model", "squeezenet_v1.1", "--image-size", "32", "--records", records, "-o", package});
  ASSERT_EQ(compiled.status, 0) << compiled.output;
  for (bool from_package : {false, true}) {
    SCOPED_TRACE(from_package ? "package" : "network");
    std::vector<std::string> args = {"run", "--repeat", "2", "--profile"};
    if (from_package)
      args.insert(args.end(), {"--package", package});
    else
      args.insert(args.end(), {"--model", "squeezenet_v1.1", "--image-size", "32", "--records", records});
    testutil::BcdRun r = testutil::run_bcd(args);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("in network   isolated  ratio  share"), std::string::npos) << r.output;
    auto [rows, tuned] = profile_rows(r.output);
    // A row per step: a subgraph each, but for the 8 concatenations done in place.
    EXPECT_EQ(rows, static_cast<int>(set.subgraphs.size()) - 8) << r.output;
    EXPECT_EQ(tuned, task.weight) << r.output;
    EXPECT_NE(r.output.find("outside the kernels"), std::string::npos) << r.output;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bcd::executor
