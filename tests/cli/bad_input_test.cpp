// Bad command lines found by the hardening campaign (issue "Hardening", item 10):
// each is one line that names the problem, and nothing runs.
#include <gtest/gtest.h>

#include <filesystem>

#include "executor/hand_record.h"
#include "frontends/zoo.h"
#include "testing/bcd_cli.h"
#include "tuning/records.h"

namespace bcd::testutil {
namespace {

TEST(BadInput, UnknownCommandIsNamed) {
  expect_one_line_error(run_bcd({"frobnicate"}), "unknown command 'frobnicate' (commands: compare, compile, ");
}

TEST(BadInput, NonsenseOptionsAreRefusedBeforeAnythingRuns) {
  const auto dir = temp_dir("bad_options");
  const std::string run = (dir / "run").string();
  expect_one_line_error(run_bcd({"tune", "--strategy", "diffusion", "--split-rule-weights", "-1", "-1", "-1",
                                 "--log-dir", run}),
                        "split rule weights must be between 0 and 1e6, not -1");
  expect_one_line_error(run_bcd({"tune", "--split-rule-weights", "0", "0", "0", "--log-dir", run}),
                        "split rule weights must not all be 0");
  expect_one_line_error(run_bcd({"tune", "--population", "2000000000", "--log-dir", run}),
                        "population must be between 1 and 1000000");
  expect_one_line_error(run_bcd({"tasks", "--model", "bert", "--bert-layers", "100000"}),
                        "--bert-layers must be between 1 and 1000, not 100000");
  expect_one_line_error(run_bcd({"tasks", "--model", "resnet-18", "--image-size", "100000"}),
                        "--image-size must be between 1 and 8192");
  EXPECT_FALSE(std::filesystem::exists(run + "/records.json"));
  std::filesystem::remove_all(dir);
}

TEST(BadInput, RecordsArgumentsSayWhatIsWrongAndARunDirectoryStandsForItsRecords) {
  const auto dir = temp_dir("bad_records");
  expect_one_line_error(run_bcd({"op", "dense", "--records", (dir / "missing.jsonl").string()}),
                        "records file '" + (dir / "missing.jsonl").string() + "' does not exist");
  expect_one_line_error(run_bcd({"run", "--model", "squeezenet_v1.1", "--records", dir.string()}),
                        "is a folder without a records.json");
  // A run directory: its records.json is used.
  const graph::TaskSet set = graph::extract_tasks(frontends::build_model("squeezenet_v1.1", {.image_size = 32}));
  const graph::Task& task = first_tunable_task(set);
  tuning::RecordWriter((dir / "records.json").string()).append({record_of(task, parallel_outer_state(*task.dag), 1e-3)});
  BcdRun r = run_bcd({"run", "--model", "squeezenet_v1.1", "--image-size", "32", "--records", dir.string(), "--repeat",
                      "1"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("1 tuned from records"), std::string::npos) << r.output;
  std::filesystem::remove_all(dir);
}

// Outside tuning a compile has a deadline too (issue "Hardening", item 4): a
// recorded schedule that unrolls 10^8 times once compiled for ever under `bcd op
// --records`. Here the deadline is made tiny so that any compile passes it.
TEST(BadInput, ACompileOutsideTuningHasADeadline) {
  const auto dir = temp_dir("compile_deadline");
  ScopedEnv cache("BCD_CACHE_DIR", (dir / "cache").string());  // nothing cached: it must compile
  {
    ScopedEnv deadline("BCD_COMPILE_TIMEOUT", "0.001");
    expect_one_line_error(run_bcd({"op", "dense", "--params", "m=64,n=64,k=64"}),
                          "compilation did not finish within 0.001 s");
  }
  ScopedEnv nonsense("BCD_COMPILE_TIMEOUT", "nonsense");
  expect_one_line_error(run_bcd({"op", "dense"}), "BCD_COMPILE_TIMEOUT must be a positive number of seconds, not 'nonsense'");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bcd::testutil
