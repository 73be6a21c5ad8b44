// End-to-end tests of `bcd tune` (both strategies), `bcd compare` and `bcd tasks`
// clusters through the real binary, on a one-layer BERT with 16 tokens (8 tuned
// tasks) so that whole network runs take seconds: well-formed TSVs and records, a
// kill -9 and --resume that measures nothing twice, and one-line errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "schedule/transform_step.h"
#include "testing/bcd_cli.h"
#include "tuning/records.h"
#include "tuning/tuning_tsv.h"

namespace fs = std::filesystem;
using namespace bcd;
using namespace bcd::testutil;

namespace {

// 8 tuned tasks x 4 trials = 32 measurements, 4 per round.
std::vector<std::string> small_tune(const std::string& strategy, const std::string& dir, int trials = 4) {
  return {"tune",         "--model",     "bert",     "--bert-layers", "1",      "--bert-seq-len",
          "16",           "--strategy",  strategy,   "--num-trials",  std::to_string(trials),
          "--num-measures-per-round",    "4",        "--population",  "48",     "--seed",
          "5",            "--log-dir",   dir};
}

// Rows in order, trials increasing, elapsed never decreasing, ending complete.
void expect_well_formed_tsv(const std::string& path, int budget) {
  auto rows = tuning::load_tsv(path);
  ASSERT_FALSE(rows.empty()) << path;
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_GT(rows[i].trials, rows[i - 1].trials) << path << " row " << i;
    EXPECT_GE(rows[i].elapsed_seconds, rows[i - 1].elapsed_seconds) << path << " row " << i;
    if (rows[i - 1].latency_ms) {
      EXPECT_TRUE(rows[i].latency_ms) << "a complete estimate never goes back to N/A";
    }
  }
  EXPECT_EQ(rows.back().trials, budget);
  EXPECT_TRUE(rows.back().latency_ms);
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first.rfind("ElapsedTime(s)\t", 0), 0u) << first;
}

std::set<std::string> distinct_measurements(const std::vector<tuning::Record>& records) {
  std::set<std::string> out;
  for (const auto& r : records) out.insert(r.workload_key + schedule::history_to_json(r.steps).dump());
  return out;
}

}  // namespace

TEST(TuneCommand, AnsorAndDiffusionRunsWithTheSameBudgetCompleteAndCompare) {
  fs::path dir = temp_dir("tune-net");
  for (const std::string strategy : {"ansor", "diffusion"}) {
    std::string run = (dir / strategy).string();
    BcdRun r = run_bcd(small_tune(strategy, run, 5));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("8 tuned"), std::string::npos) << r.output;
    // 40 trials reach all 8 tasks and the whole prior phase.
    EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Estimated total latency: "), std::string::npos) << r.output;
    // What to type next builds the same model.
    EXPECT_NE(r.output.find("next      bcd run --model bert --bert-layers 1 --bert-seq-len 16 --records " + run),
              std::string::npos)
        << r.output;
    if (strategy == "diffusion") {
      EXPECT_NE(r.output.find("loops clusters; prior phase"), std::string::npos) << r.output;
      EXPECT_NE(r.output.find("diffusion: loops clusters, up to 2 prior rounds"), std::string::npos) << r.output;
      EXPECT_NE(r.output.find("1 posterior tasks"), std::string::npos) << r.output;  // dense_add_add_1
    }
    expect_well_formed_tsv(run + "/tuning.tsv", 40);
    auto records = tuning::load_records(run + "/records.json");
    EXPECT_EQ(records.size(), 40u);
    EXPECT_EQ(distinct_measurements(records).size(), 40u);
    std::set<std::string> keys;
    for (const auto& rec : records) keys.insert(rec.workload_key);
    EXPECT_EQ(keys.size(), 8u);  // every task measured
    std::ifstream info(run + "/run.json");
    std::string text((std::istreambuf_iterator<char>(info)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("\"strategy\": \"" + strategy + "\""), std::string::npos) << text;
  }
  BcdRun c = run_bcd({"compare", (dir / "ansor").string(), (dir / "diffusion").string()});
  ASSERT_EQ(c.status, 0) << c.output;
  EXPECT_NE(c.output.find("compilation-time speedup"), std::string::npos) << c.output;
  EXPECT_NE(c.output.find("metric speedup "), std::string::npos) << c.output;
  EXPECT_TRUE(fs::exists(dir / "diffusion" / "compare.md"));
  size_t per_task = c.output.find("## Per task");
  ASSERT_NE(per_task, std::string::npos) << c.output;
  int table_lines = 0;  // the header and one row per task (the separator starts "|-")
  for (size_t at = c.output.find("\n| ", per_task); at != std::string::npos; at = c.output.find("\n| ", at + 1))
    ++table_lines;
  EXPECT_EQ(table_lines, 1 + 8) << c.output;
  std::ifstream svg(dir / "diffusion" / "compare.svg");
  std::string plot((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  EXPECT_EQ(plot.rfind("<svg", 0), 0u);
  EXPECT_EQ(std::count(plot.begin(), plot.end(), '\n') > 10, true);
  EXPECT_NE(plot.find("diffusion-loops (seed 5)"), std::string::npos);
  // A run against itself: every program measured in both at the same time.
  BcdRun same = run_bcd({"compare", (dir / "ansor").string(), (dir / "ansor").string(), "--out", dir.string()});
  ASSERT_EQ(same.status, 0) << same.output;
  EXPECT_NE(same.output.find(" drift 1.0000 programs "), std::string::npos) << same.output;
  EXPECT_NE(same.output.find("## Measurement drift"), std::string::npos) << same.output;
  EXPECT_NE(same.output.find(" remeasured_ratio -"), std::string::npos) << same.output;  // not asked for
  // Both runs' best programs re-measured side by side: every tuned task timed for both.
  BcdRun side = run_bcd({"compare", (dir / "ansor").string(), (dir / "diffusion").string(), "--out", dir.string(),
                         "--remeasure", "2"});
  ASSERT_EQ(side.status, 0) << side.output;
  std::string table = read_file((dir / "compare.md").string());
  size_t at = table.find("## Re-measured side by side");
  ASSERT_NE(at, std::string::npos) << table;
  EXPECT_NE(table.find("alternately in one process, 2 rounds"), std::string::npos) << table;
  int timed = 0;  // rows of the section's table with two finite times
  for (size_t row = table.find("\n| ", at); row != std::string::npos && row < table.find("\n## Per task");
       row = table.find("\n| ", row + 1))
    timed += table.compare(row, 7, "\n| task") != 0 && table.find("nan", row) > table.find('\n', row + 1);
  EXPECT_EQ(timed, 8) << table;
  size_t ratio = side.output.find(" remeasured_ratio ");
  ASSERT_NE(ratio, std::string::npos) << side.output;
  EXPECT_GT(std::stod(side.output.substr(ratio + 18)), 0) << side.output;
  expect_one_line_error(run_bcd({"compare", (dir / "ansor" / "tuning.tsv").string(), (dir / "diffusion").string(),
                                 "--remeasure", "1"}),
                        "--remeasure needs two run directories");
  fs::remove_all(dir);
}

// The case: the artifact's settings on SqueezeNet 1.1 at 8 trials per task
// in rounds of 8 used to spend 104 of the 176 trials on two representatives, leave
// two tasks unmeasured and exit 1. The prior phase now fits the budget, says so up
// front, and the run ends with every task measured and an estimate.
TEST(TuneCommand, DiffusionOnASmallBudgetMeasuresEveryTaskAndExitsZero) {
  fs::path dir = temp_dir("tune-small");
  std::string run = (dir / "run").string();
  // 64x64 images and a small population halve the time (same tasks and clusters).
  BcdRun r = run_bcd({"tune", "--model", "squeezenet_v1.1", "--image-size", "64", "--population", "64", "--strategy",
                      "diffusion", "--preset", "artifact", "--num-trials", "8", "--num-measures-per-round", "8",
                      "--seed", "1", "--log-dir", run});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("diffusion: operator clusters, up to 10 prior rounds, top 2 priors, posteriors 2 "
                          "iterations and 0.5 of a round, split rules 1,1,1, unroll copy rate 1, reduced singletons, "
                          "never released"),
            std::string::npos)
      << r.output;
  // Two representatives (conv2d, max_pool2d) plan 10 and 3 rounds of 8; the other
  // 20 tasks keep back a posterior round of 4 each.
  size_t warning = r.output.find("bcd: warning: a budget of 176 trials leaves the prior phase 96 of the 104 trials");
  ASSERT_NE(warning, std::string::npos) << r.output;
  EXPECT_LT(warning, r.output.find("round    1")) << r.output;  // up front
  EXPECT_NE(r.output.find("Estimated total latency: "), std::string::npos) << r.output;
  auto records = tuning::load_records(run + "/records.json");
  EXPECT_EQ(records.size(), 176u);
  std::set<std::string> keys;
  for (const auto& rec : records) keys.insert(rec.workload_key);
  EXPECT_EQ(keys.size(), 22u);  // every tuned task measured
  std::ifstream info(run + "/run.json");
  std::string text((std::istreambuf_iterator<char>(info)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"diffusion\": \"operator clusters, up to 10 prior rounds"), std::string::npos) << text;
  fs::remove_all(dir);
}

// A flag given beside a preset changes that setting only.
TEST(TuneCommand, DiffusionFlagsOverrideTheirPresetsSetting) {
  fs::path dir = temp_dir("tune-preset");
  std::vector<std::string> args = small_tune("diffusion", (dir / "a").string(), 1);
  for (const char* a : {"--preset", "artifact", "--max-prior-rounds", "3", "--prior-per-sketch"}) args.push_back(a);
  BcdRun r = run_bcd(args);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("diffusion: operator clusters, up to 3 prior rounds, top 2 priors per sketch, "),
            std::string::npos)
      << r.output;
  args = small_tune("diffusion", (dir / "b").string(), 1);
  for (const char* a :
       {"--no-prior-per-sketch", "--release-after-rounds", "0", "--posterior-floor", "--posterior-first-measures", "4"})
    args.push_back(a);
  r = run_bcd(args);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("diffusion: loops clusters, up to 2 prior rounds, top 2 priors, "), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("never released, 0.5 of a posterior's population drawn as Ansor's, reduced tasks topped up "
                          "to Ansor's warm-up, first posterior rounds of 4"),
            std::string::npos)
      << r.output;
  expect_one_line_error(run_bcd({"tune", "--strategy", "diffusion", "--preset", "paper", "--log-dir",
                                 (dir / "c").string()}),
                        "unknown diffusion preset 'paper' (default or artifact)");
  fs::remove_all(dir);
}

TEST(TuneCommand, KillNineThenResumeContinuesWithoutMeasuringTwice) {
  fs::path dir = temp_dir("tune-resume");
  std::string run = (dir / "run").string();
  pid_t pid = spawn_bcd(small_tune("diffusion", run, 8), (dir / "first.txt").string());
  ASSERT_GT(pid, 0);
  std::string records_path = run + "/records.json";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  while (count_lines(records_path) < 16 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  auto before = tuning::load_records(records_path);
  ASSERT_GE(before.size(), 16u) << "no progress before the deadline";
  ASSERT_LT(before.size(), 64u) << "finished before the kill";

  std::vector<std::string> resume = small_tune("diffusion", run, 8);
  resume.push_back("--resume");
  BcdRun r = run_bcd(resume);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("resumed   " + std::to_string(before.size()) + " measured"), std::string::npos) << r.output;
  auto after = tuning::load_records(records_path);
  ASSERT_EQ(after.size(), 64u);
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_EQ(tuning::record_to_line(after[i]), tuning::record_to_line(before[i]));
  EXPECT_EQ(distinct_measurements(after).size(), 64u);
  expect_well_formed_tsv(run + "/tuning.tsv", 64);
  fs::remove_all(dir);
}

TEST(TuneCommand, BadInputGivesOneLineErrors) {
  fs::path dir = temp_dir("tune-bad");
  std::string run = (dir / "run").string();
  expect_one_line_error(run_bcd({"tune", "--model", "alexnet", "--log-dir", run}), "unknown model 'alexnet'");
  expect_one_line_error(run_bcd({"tune", "--strategy", "greedy", "--log-dir", run}), "unknown strategy 'greedy'");
  expect_one_line_error(run_bcd({"tune", "--strategy", "diffusion", "--group-type", "layer", "--log-dir", run}),
                        "unknown group type 'layer'");
  expect_one_line_error(run_bcd({"tune", "--target", "vulkan", "--log-dir", run}), "unknown target 'vulkan'");
  expect_one_line_error(run_bcd({"tune", "--strategy", "diffusion", "--release-after-rounds", "-1", "--log-dir", run}),
                        "--release-after-rounds: -1 is negative");
  expect_one_line_error(run_bcd({"tune", "--population", "0", "--log-dir", run}), "--population: 0 is not positive");
  expect_one_line_error(run_bcd({"tune", "--bogus", "--log-dir", run}), "--bogus");
  expect_one_line_error(run_bcd({"tune", "--resume", "--log-dir", run}), "is not a tuning run directory");
  expect_one_line_error(run_bcd({"tune", "--layout", "NCHWc", "--log-dir", run}), "unknown layout 'NCHWc' (auto, keep or NHWC)");
  // A finished run refuses a fresh start and a resume with other settings.
  // One trial per task: under a loaded CI machine a single candidate may time out and
  // leave its task without a valid measurement (exit 1). What matters here is that
  // the run recorded its measurements.
  BcdRun first = run_bcd(small_tune("ansor", run, 1));
  ASSERT_TRUE(fs::exists(run + "/records.json") && fs::file_size(run + "/records.json") > 0) << first.output;
  // 1 trial for each of the 8 tasks in rounds of 4: the warm-up's rounds shrink to
  // the per-task budget, so every task is measured once and the budget (8) holds.
  EXPECT_EQ(count_lines(run + "/records.json"), 8) << first.output;
  EXPECT_EQ(first.output.find("bcd: warning: a budget"), std::string::npos) << first.output;
  expect_one_line_error(run_bcd(small_tune("ansor", run, 1)), "already holds a tuning run");
  std::vector<std::string> other = small_tune("diffusion", run, 1);
  other.push_back("--resume");
  expect_one_line_error(run_bcd(other), "was tuned with strategy=\"ansor\"");
  std::vector<std::string> nhwc = small_tune("ansor", run, 1);
  for (const char* a : {"--resume", "--layout", "NHWC"}) nhwc.push_back(a);
  expect_one_line_error(run_bcd(nhwc), "\"layout\":\"NHWC\"");  // another model
  expect_one_line_error(run_bcd({"compare", run, (dir / "nothing").string()}), "no tuning TSV");
  fs::remove_all(dir);
}

// Tuning with `flag` times every valid candidate in `runs` single runs (its record
// holds that many costs, against 3 warm repeats); run.json says so under `key`, and
// a resume must keep it.
void expect_single_runs_kept_by_resume(const std::string& flag, size_t runs, const std::string& key) {
  fs::path dir = temp_dir("tune-single-runs");
  std::string run = (dir / "run").string();
  std::vector<std::string> args = small_tune("ansor", run, 1);
  args.push_back(flag);
  BcdRun first = run_bcd(args);
  ASSERT_TRUE(fs::exists(run + "/records.json")) << first.output;
  int valid = 0;
  for (const tuning::Record& r : tuning::load_records(run + "/records.json"))
    if (r.result.error == runtime::MeasureError::None) {
      ++valid;
      EXPECT_EQ(r.result.costs.size(), runs);
    }
  EXPECT_GT(valid, 0) << first.output;
  EXPECT_NE(read_file(run + "/run.json").find("\"" + key + "\": true"), std::string::npos) << read_file(run + "/run.json");
  std::vector<std::string> warm = small_tune("ansor", run, 2);
  warm.push_back("--resume");
  expect_one_line_error(run_bcd(warm), "was tuned with " + key + "=true, not false");
  fs::remove_all(dir);
}

// --flush-cache: 5 single runs, each after the caches are flushed.
TEST(TuneCommand, FlushCacheTimesColdAndAResumeMustKeepIt) {
  expect_single_runs_kept_by_resume("--flush-cache", 5, "flush_cache");
}

// --cold-activations: 10 single runs, each after the activations are evicted; CPU
// only, and not with --flush-cache.
TEST(TuneCommand, ColdActivationsTimeTenSingleRunsAndAResumeMustKeepThem) {
  fs::path refused = temp_dir("tune-cold-refused");
  std::vector<std::string> both = small_tune("ansor", (refused / "run").string(), 1);
  both.insert(both.end(), {"--cold-activations", "--flush-cache"});
  expect_one_line_error(run_bcd(both), "--flush-cache and --cold-activations are two ways");
  std::vector<std::string> gpu = small_tune("ansor", (refused / "run").string(), 1);
  gpu.insert(gpu.end(), {"--cold-activations", "--target", "cuda"});
  expect_one_line_error(run_bcd(gpu), "--cold-activations times CPU kernels, not the candidates of a cuda target");
  EXPECT_FALSE(fs::exists(refused / "run")) << "a refused run left a run directory";
  fs::remove_all(refused);
  expect_single_runs_kept_by_resume("--cold-activations", 10, "cold_activations");
}

// A time limit ends both strategies after the round in progress, with exit 0 and
// what they measured, well short of a budget they could not spend in time.
TEST(TuneCommand, ATimeLimitEndsTheRunWithWhatItMeasured) {
  fs::path dir = temp_dir("tune-time-limit");
  for (const std::string strategy : {"ansor", "diffusion"}) {
    std::string run = (dir / strategy).string();
    std::vector<std::string> args = small_tune(strategy, run, 50);  // 400 trials: minutes
    args.insert(args.end(), {"--time-limit", "2"});
    BcdRun r = run_bcd(args);
    ASSERT_EQ(r.status, 0) << r.output;
    const size_t at = r.output.find("time limit: 2 s of tuning reached after ");
    ASSERT_NE(at, std::string::npos) << r.output;
    const int trials = std::stoi(r.output.substr(at + 40));
    EXPECT_GT(trials, 0) << r.output;
    EXPECT_LT(trials, 100) << r.output;
    EXPECT_EQ(static_cast<int>(tuning::load_records(run + "/records.json").size()), trials) << r.output;
  }
  expect_one_line_error(run_bcd({"tune", "--time-limit", "-3", "--log-dir", (dir / "bad").string()}), "--time-limit");
  fs::remove_all(dir);
}

// Two TSVs of measured latencies (what bench/tuning_curve.sh writes: ONNX
// Runtime's as A, bcd's end to end at snapshots of a run as B) plot under the
// title given.
TEST(CompareCommand, TwoTsvFilesPlotUnderTheTitleGiven) {
  fs::path dir = temp_dir("compare-tsv");
  fs::create_directories(dir);
  std::ofstream(dir / "onnxruntime.tsv") << tuning::tsv_line({0, 2.5, 0}) << tuning::tsv_line({600, 2.5, 1});
  std::ofstream(dir / "bcd.tsv") << tuning::tsv_line({0, 3.0, 0}) << tuning::tsv_line({300, 2.6, 800})
                                 << tuning::tsv_line({600, 2.4, 1600});
  BcdRun c = run_bcd({"compare", (dir / "onnxruntime.tsv").string(), (dir / "bcd.tsv").string(), "--out",
                      (dir / "out").string(), "--title", "end-to-end latency of snapshots"});
  ASSERT_EQ(c.status, 0) << c.output;
  EXPECT_NE(c.output.find("| best estimated latency (ms) | 2.500 | 2.400 |"), std::string::npos) << c.output;
  std::string plot = read_file(dir / "out" / "compare.svg");
  EXPECT_NE(plot.find(">end-to-end latency of snapshots</text>"), std::string::npos) << plot;
  EXPECT_EQ(plot.find("estimated latency during tuning"), std::string::npos);
  EXPECT_NE(plot.find("bcd.tsv"), std::string::npos);
  fs::remove_all(dir);
}

TEST(TasksCommand, ShowsClustersAndTheirRepresentatives) {
  BcdRun r = run_bcd({"tasks", "--model", "resnet-18", "--group-type", "sketch"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("sketch clusters"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(rep)"), std::string::npos) << r.output;
  r = run_bcd({"tasks", "--model", "resnet-18", "--group-type", "operator"});
  // Operator clusters: conv2d_add_relu, max_pool2d, conv2d_add_add_relu, conv2d_add,
  // global_avg_pool2d, dense_add.
  EXPECT_NE(r.output.find("(18 tuned), 6 operator clusters"), std::string::npos) << r.output;
  // Loops clusters split SqueezeNet's convs into 1x1 and 3x3 ones (plus max_pool2d
  // and global_avg_pool2d); operator (and sketch) clusters keep them together. On
  // resnet-18 they are the sketch clusters: its 1x1 convs have a sketch of their own.
  r = run_bcd({"tasks", "--model", "squeezenet_v1.1"});  // loops: what diffusion forms by default
  EXPECT_NE(r.output.find("(22 tuned), 4 loops clusters"), std::string::npos) << r.output;
  r = run_bcd({"tasks", "--model", "squeezenet_v1.1", "--group-type", "operator"});
  EXPECT_NE(r.output.find("(22 tuned), 3 operator clusters"), std::string::npos) << r.output;
  r = run_bcd({"tasks", "--model", "resnet-18", "--group-type", "loops"});
  EXPECT_NE(r.output.find("(18 tuned), 5 loops clusters"), std::string::npos) << r.output;
}
