// End-to-end tests of `bcd tune-op` through the real binary: progress output,
// records, a kill -9 in the middle of tuning and a resume that measures nothing
// twice, and one-line errors on bad input.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "ops/registry.h"
#include "schedule/transform_step.h"
#include "testing/bcd_cli.h"
#include "tuning/records.h"

namespace fs = std::filesystem;
using namespace bcd;
using namespace bcd::testutil;

namespace {

const std::vector<std::string> kSmallSearch = {"--population", "64", "--num-iterations", "1"};

}  // namespace

TEST(TuneOp, PrintsOneLinePerRoundAndRecordsEveryTrial) {
  fs::path dir = temp_dir("tune");
  std::string log = (dir / "run" / "records.json").string();
  std::vector<std::string> args = {"tune-op", "dense", "--params", "m=16,n=16,k=16", "--num-trials", "16",
                                   "--num-measures-per-round", "8", "--log-dir", (dir / "run").string()};
  args.insert(args.end(), kSmallSearch.begin(), kSmallSearch.end());
  BcdRun r = run_bcd(args);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("    1       8"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("    2      16"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("done      16 trials"), std::string::npos) << r.output;
  EXPECT_EQ(count_lines(log), 16);
  auto records = tuning::load_records(log);
  ASSERT_EQ(records.size(), 16u);
  EXPECT_NE(tuning::best_record(records, records[0].workload_key), nullptr);
  // Every record carries the full target string, as run.json does.
  EXPECT_EQ(records[0].target.rfind("llvm -", 0), 0u) << records[0].target;
  EXPECT_NE(records[0].target.find("-lanes="), std::string::npos) << records[0].target;
  EXPECT_TRUE(fs::exists(dir / "run" / "run.json"));
  EXPECT_EQ(count_lines((dir / "run" / "tuning.tsv").string()), 2);  // a line per round

  // `bcd op --records` runs the best recorded schedule, checked against the reference.
  BcdRun best = run_bcd({"op", "dense", "-p", "m=16,n=16,k=16", "--records", log, "--show-code"});
  ASSERT_EQ(best.status, 0) << best.output;
  EXPECT_NE(best.output.find("schedule     best record of " + log), std::string::npos) << best.output;
  EXPECT_NE(best.output.find(": OK"), std::string::npos) << best.output;
  // Another workload has no record there: one line naming the file and the workload.
  expect_one_line_error(run_bcd({"op", "dense", "-p", "m=8,n=16,k=16", "--records", log}), "no successful");
  fs::remove_all(dir);
}

// With cold caches the second round's candidates get a time budget from the first
// round's best; it must cover the flushes (512 MiB each where the last-level cache
// is reported large), or every candidate of the round timed out.
TEST(TuneOp, FlushCacheTimesTheSecondRoundToo) {
  fs::path dir = temp_dir("tune-flush");
  std::string log = (dir / "run" / "records.json").string();
  std::vector<std::string> args = {"tune-op", "dense", "--params", "m=16,n=16,k=16", "--num-trials", "8",
                                   "--num-measures-per-round", "4", "--flush-cache", "--log-dir",
                                   (dir / "run").string()};
  args.insert(args.end(), kSmallSearch.begin(), kSmallSearch.end());
  BcdRun r = run_bcd(args);
  ASSERT_EQ(r.status, 0) << r.output;
  auto records = tuning::load_records(log);
  ASSERT_EQ(records.size(), 8u);
  for (size_t i = 4; i < records.size(); ++i) {
    EXPECT_EQ(records[i].result.error, runtime::MeasureError::None) << records[i].result.error_message;
    EXPECT_EQ(records[i].result.costs.size(), 5u);
  }
  fs::remove_all(dir);
}

TEST(TuneOp, KillNineThenResumeKeepsRecordsAndMeasuresNothingTwiceAndTheDirectoryIsLockedMeanwhile) {
  fs::path dir = temp_dir("resume");
  std::string log = (dir / "run" / "records.json").string();
  std::vector<std::string> args = {"tune-op", "dense", "--params", "m=32,n=32,k=32", "--num-measures-per-round", "8",
                                   "--log-dir", (dir / "run").string()};
  args.insert(args.end(), kSmallSearch.begin(), kSmallSearch.end());
  std::vector<std::string> long_run = args;
  long_run.insert(long_run.end(), {"--num-trials", "100000"});
  pid_t pid = spawn_bcd(long_run, (dir / "out1.txt").string());
  ASSERT_GT(pid, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (count_lines(log) < 16 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // A second tuner into the same directory, resuming or not, is refused while the
  // first runs (it holds the directory's lock) and writes nothing.
  const int lines_while_running = count_lines(log);
  std::vector<std::string> second = args;
  second.insert(second.end(), {"--resume", "--num-trials", "100000"});
  expect_one_line_error(run_bcd(second), "is in use by another tuning run (pid " + std::to_string(pid) + ")");
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  EXPECT_GE(count_lines(log), lines_while_running);
  // The kill released the lock: the resume below runs.
  std::vector<std::string> warnings;
  auto before = tuning::load_records(log, &warnings);
  ASSERT_GE(before.size(), 16u) << "tuning made no progress before the deadline";
  std::set<std::string> lines_before;
  {
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);) lines_before.insert(line);
  }

  std::vector<std::string> resume = args;
  int target = static_cast<int>(before.size()) + 16;
  resume.insert(resume.end(), {"--resume", "--num-trials", std::to_string(target)});
  BcdRun r = run_bcd(resume);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("resumed   " + std::to_string(before.size())), std::string::npos) << r.output;

  auto after = tuning::load_records(log);
  EXPECT_EQ(static_cast<int>(after.size()), target);
  // Every record written before the kill is still there, unchanged.
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_EQ(tuning::record_to_line(after[i]), tuning::record_to_line(before[i]));
  // No State was measured twice.
  ops::OpInstance inst = ops::build_op("dense", ops::OpParams::parse("m=32,n=32,k=32"));
  std::set<std::string> states;
  for (const auto& rec : after) states.insert(schedule::replay(inst.dag, rec.steps).canonical_string());
  EXPECT_EQ(states.size(), after.size());
  fs::remove_all(dir);
}

TEST(TuneOp, BadInputGivesAOneLineErrorAndNonZeroExit) {
  fs::path dir = temp_dir("bad");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"tune-op", "nosuchop", "--log-dir", (dir / "a").string()},
           {"tune-op", "dense", "--params", "m=0", "--log-dir", (dir / "b").string()},
           {"tune-op", "dense", "--log-dir", (dir / "c").string(), "--cost-model", "psychic"},
           {"tune-op", "dense", "--log-dir", (dir / "d").string(), "--search-space", "tvm"},
           {"tune-op", "dense", "--log-dir", (dir / "e").string(), "--target", "llvm -lanes=zero"},
       }) {
    BcdRun r = run_bcd(args);
    EXPECT_NE(r.status, 0) << r.output;
    EXPECT_EQ(r.output.rfind("bcd: error: ", 0), 0u) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  // A malformed records file is reported, and nothing in it is overwritten (through
  // the deprecated --log FILE, which still works for one release).
  std::string log = (dir / "broken.jsonl").string();
  {
    std::ofstream out(log);
    out << "{not json}\n{\"v\":1}\n";
  }
  BcdRun r = run_bcd({"tune-op", "dense", "--params", "m=8,n=8,k=8", "--log", log, "--resume"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("broken.jsonl:1"), std::string::npos) << r.output;
  EXPECT_EQ(count_lines(log), 2);
  fs::remove_all(dir);
}

TEST(TasksCommand, ListsTheTasksOfAModelAndRejectsUnknownModels) {
  BcdRun r = run_bcd({"tasks", "--model", "resnet-18"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("24 subgraphs, 19 tasks"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("conv2d_add_add_relu_3"), std::string::npos) << r.output;
  r = run_bcd({"tasks", "--model", "alexnet"});
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.output.rfind("bcd: error: unknown model 'alexnet'", 0), 0u) << r.output;
}

TEST(TuneOp, OpWithoutRecordsRunsTheDefaultAnUntunedNetworkRuns) {
  // A convolution's default is the rule-chosen tiling (parallel, vectorized), the
  // program `bcd run` gives an untuned task, not the unscheduled loop nest.
  BcdRun r = run_bcd({"op", "conv2d", "-p", "n=1,c=8,h=14,w=14,o=16,kernel=3,pad=1", "--show-code"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("schedule     default (what an untuned network runs)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("#pragma omp parallel for"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("vectorize(assume_safety)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(": OK"), std::string::npos) << r.output;
}
