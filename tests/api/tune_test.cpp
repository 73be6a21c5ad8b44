// Tuning through the library (api::tune_network, api::tune_operator), not the
// binary: a test observer sees the run, a second call resumes it without
// measuring anything twice, the CLI writes the same States as the library, the
// target travels with the records, and --search-space ansor is Ansor's space.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "api/tune.h"
#include "costmodel/cost_model.h"
#include "search/sketch_signature.h"
#include "ops/registry.h"
#include "schedule/transform_step.h"
#include "search/search_policy.h"
#include "support/error.h"
#include "testing/bcd_cli.h"
#include "testing/error_of.h"
#include "tuning/records.h"
#include "tuning/task_records.h"

namespace fs = std::filesystem;
using namespace bcd;
using namespace bcd::testutil;

namespace {

// A one-layer BERT with 16 tokens: 8 tuned tasks; 4 trials per task in rounds of 4
// is the warm-up alone (one round per task), which depends on the seed only.
api::TuneConfig small_network(const std::string& dir) {
  api::TuneConfig c;
  c.model.model = "bert";
  c.model.zoo.bert_layers = 1;
  c.model.zoo.bert_seq_len = 16;
  c.num_trials = 4;
  c.num_measures_per_round = 4;
  c.search.population = 48;
  c.cost_model = "random";
  c.seed = 5;
  c.log_dir = dir;
  return c;
}

struct RecordingObserver : api::TuneObserver {
  std::optional<api::TuneStart> start;
  std::vector<tuning::SchedulerRound> rounds;
  std::vector<std::string> warnings;
  bool finished = false;
  void on_start(const api::TuneStart& s) override { start = s; }
  void on_round(const tuning::TaskScheduler&, const tuning::SchedulerRound& r) override { rounds.push_back(r); }
  void on_warning(const std::string& w) override { warnings.push_back(w); }
  void on_finish(const tuning::TaskScheduler&, const api::TuneResult&) override { finished = true; }
};

// Each record's workload and State, in file order.
std::vector<std::string> states_of(const std::string& records) {
  std::vector<std::string> out;
  for (const auto& r : tuning::load_records(records))
    out.push_back(r.workload_key + " " + schedule::history_to_json(r.steps).dump());
  return out;
}

}  // namespace

TEST(ApiTune, ANetworkRunReportsToItsObserverAndResumesWithoutMeasuringTwice) {
  fs::path dir = temp_dir("api_network");
  api::TuneConfig c = small_network((dir / "run").string());
  RecordingObserver first;
  api::TuneResult r = api::tune_network(c, &first);
  ASSERT_TRUE(first.start);
  EXPECT_EQ(first.start->tuned_tasks, 8);
  EXPECT_EQ(first.start->budget, 32);
  EXPECT_EQ(first.start->target.str(), r.records.empty() ? "" : tuning::load_records(r.records)[0].target);
  EXPECT_EQ(first.rounds.size(), 8u);
  EXPECT_TRUE(first.finished);
  EXPECT_EQ(r.trials, 32);
  EXPECT_EQ(r.measured_now, 32);
  ASSERT_TRUE(r.estimated_latency_seconds);
  EXPECT_EQ(count_lines(r.records), 32);
  EXPECT_EQ(count_lines(r.tsv), 8);

  c.resume = true;
  c.num_trials = 6;
  RecordingObserver second;
  api::TuneResult again = api::tune_network(c, &second);
  ASSERT_TRUE(second.start);
  EXPECT_EQ(second.start->resumed, 32);
  EXPECT_EQ(again.trials, 48);
  EXPECT_EQ(again.measured_now, 16);
  std::vector<std::string> states = states_of(again.records);
  ASSERT_EQ(states.size(), 48u);
  EXPECT_EQ(std::set<std::string>(states.begin(), states.end()).size(), states.size());  // none measured twice

  // A resume that would search another space is refused, naming the setting.
  c.search_space = api::SearchSpace::Ansor;
  std::string message = error_of([&] { api::tune_network(c); });
  EXPECT_NE(message.find("search_space"), std::string::npos) << message;
  fs::remove_all(dir);
}

TEST(ApiTune, TheCommandLineWritesTheSameStatesAsTheLibrary) {
  fs::path dir = temp_dir("api_vs_cli");
  api::TuneResult lib = api::tune_network(small_network((dir / "lib").string()));
  BcdRun cli = run_bcd({"tune", "--model", "bert", "--bert-layers", "1", "--bert-seq-len", "16", "--num-trials", "4",
                        "--num-measures-per-round", "4", "--population", "48", "--cost-model", "random", "--seed",
                        "5", "--log-dir", (dir / "cli").string()});
  ASSERT_EQ(cli.status, 0) << cli.output;
  std::vector<std::string> from_lib = states_of(lib.records), from_cli = states_of((dir / "cli/records.json").string());
  ASSERT_EQ(from_lib.size(), 32u);
  EXPECT_EQ(from_cli, from_lib);
  fs::remove_all(dir);
}

TEST(ApiTune, RecordsCarryTheirTargetAndResumeTakesOnlyThoseOfItsOwn) {
  // Records of a cuda search (what `tune-op --target cuda` writes on a GPU machine).
  ops::OpInstance inst = ops::build_op("dense", ops::OpParams::parse("m=16,n=16,k=16"));
  auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
  search::SearchPolicy gpu(search::SearchTask(inst.dag, Target::gpu()), model, {.population = 64}, 1);
  std::vector<schedule::State> states = gpu.sample_initial_population(6);
  ASSERT_GE(states.size(), 4u);
  std::vector<runtime::MeasureResult> results(states.size());
  for (auto& m : results) m.costs = {1e-4};
  std::vector<tuning::Record> records = tuning::round_records(gpu.task(), "dense", states, results);
  for (const auto& r : records) EXPECT_EQ(r.target, Target::gpu().str());

  // A CPU search ignores them (and says how many); a cuda search takes them all.
  search::SearchPolicy cpu(search::SearchTask(inst.dag, Target::cpu()), model, {.population = 64}, 1);
  int skipped = 0;
  EXPECT_EQ(tuning::resume_from_records(cpu, records, &skipped), 0);
  EXPECT_EQ(skipped, static_cast<int>(records.size()));
  search::SearchPolicy gpu_again(search::SearchTask(inst.dag, Target::gpu()), model, {.population = 64}, 2);
  skipped = 0;
  EXPECT_EQ(tuning::resume_from_records(gpu_again, records, &skipped), static_cast<int>(records.size()));
  EXPECT_EQ(skipped, 0);

  // Through the command line: a CPU resume warns once, naming the count.
  fs::path dir = temp_dir("api_target");
  std::string log = (dir / "gpu.json").string();
  {
    tuning::RecordWriter writer(log);
    writer.append(records);
  }
  BcdRun r = run_bcd({"tune-op", "dense", "-p", "m=16,n=16,k=16", "--log", log, "--resume", "--num-trials",
                      std::to_string(records.size() + 4), "--num-measures-per-round", "4", "--population", "48"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(std::to_string(records.size()) + " records of these workloads were measured on another "
                                                           "target"),
            std::string::npos)
      << r.output;
  std::vector<tuning::Record> after = tuning::load_records(log);
  ASSERT_EQ(after.size(), 2 * records.size() + 4);
  EXPECT_EQ(after.back().target.rfind("llvm -", 0), 0u) << after.back().target;
  fs::remove_all(dir);
}

TEST(ApiTune, TheAnsorSearchSpaceNeverSamplesBcdsTwoAdditions) {
  // An NCHW conv: bcd's space moves the output channel into the inner tile
  // (a reorder step of its own) and gives it whole vectors; Ansor's never reorders
  // and draws tiles uniformly, so most innermost channel tiles are part of a vector.
  ops::OpInstance inst = ops::build_op("conv2d", ops::OpParams::parse("c=32,o=64,h=14,w=14"));
  auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
  for (api::SearchSpace space : {api::SearchSpace::Ansor, api::SearchSpace::Bcd}) {
    api::TuneConfig c;
    c.target = "llvm -lanes=16";
    c.search_space = space;
    Target target = api::configured_target(c);
    EXPECT_EQ(target.is_ansor_space(), space == api::SearchSpace::Ansor);
    search::SearchPolicy policy(search::SearchTask(inst.dag, target), model, {.population = 64}, 3);
    auto reorders = [](const schedule::State& s) {
      int n = 0;
      for (const auto& step : s.history()) n += step.kind == schedule::StepKind::Reorder;
      return n;
    };
    const std::vector<schedule::State> sketches = policy.all_sketches();
    int added_reorders = 0, channel_tiles = 0, part_vector = 0;
    for (const auto& s : policy.sample_initial_population(300)) {
      std::optional<int> k = search::sketch_of(s.history(), sketches);
      ASSERT_TRUE(k);
      added_reorders += reorders(s) > reorders(sketches[*k]);
      for (const auto& st : s.stages()) {
        if (!st.op->has_reduce()) continue;
        for (const auto& it : st.iters)
          if (it.name == st.op->axes[1].var->name + ".3") {
            ++channel_tiles;
            part_vector += it.extent % 16 != 0;
          }
      }
    }
    ASSERT_GT(channel_tiles, 100);
    if (space == api::SearchSpace::Ansor) {
      EXPECT_EQ(added_reorders, 0);
      EXPECT_GT(part_vector, channel_tiles / 2);
    } else {
      EXPECT_GT(added_reorders, 0);
      EXPECT_LT(part_vector, channel_tiles / 2);
    }
  }
}
