// The task scheduler: the artifact's TSV format, the gradient choice, the budget,
// records and TSV written per round, and resume without re-measuring.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "costmodel/cost_model.h"
#include "ops/registry.h"
#include "schedule/transform_step.h"
#include "support/error.h"
#include "testing/error_of.h"
#include "tuning/task_scheduler.h"
#include "tuning/tuning_tsv.h"

namespace bcd::tuning {
namespace {

namespace fs = std::filesystem;
using testutil::error_of;

TEST(TuningTsv, LinesHaveTheArtifactsExactFormat) {
  EXPECT_EQ(tsv_line({12.4, 3.14159, 64}), "ElapsedTime(s)\t12\tEstimatedLatency(ms)\t3.142\tTrials\t64\n");
  EXPECT_EQ(tsv_line({0.6, std::nullopt, 8}), "ElapsedTime(s)\t1\tEstimatedLatency(ms)\tN/A\tTrials\t8\n");
  TsvRow r = tsv_row_from_line("ElapsedTime(s)\t130\tEstimatedLatency(ms)\t0.250\tTrials\t1280\n");
  EXPECT_EQ(r.elapsed_seconds, 130);
  ASSERT_TRUE(r.latency_ms);
  EXPECT_DOUBLE_EQ(*r.latency_ms, 0.25);
  EXPECT_EQ(r.trials, 1280);
  EXPECT_FALSE(tsv_row_from_line("ElapsedTime(s)\t1\tEstimatedLatency(ms)\tN/A\tTrials\t8").latency_ms);
  EXPECT_NE(error_of([] { tsv_row_from_line("ElapsedTime(s)\t1\tLatency\t2\tTrials\t8"); }).find("not a tuning TSV"),
            std::string::npos);
  EXPECT_NE(error_of([] { tsv_row_from_line("ElapsedTime(s)\tx\tEstimatedLatency(ms)\t2\tTrials\t8"); })
                .find("malformed number"),
            std::string::npos);
}

TEST(TuningTsv, WriterAppendsAndDropsATornLastLine) {
  fs::path dir = fs::temp_directory_path() / "bcd_tsv_test";
  fs::remove_all(dir);
  std::string path = (dir / "sub" / "t.tsv").string();
  {
    TsvWriter w(path);
    w.append({1, std::nullopt, 4});
    w.append({2, 1.5, 8});
  }
  std::ofstream(path, std::ios::app) << "ElapsedTime(s)\t3\tEstim";  // a crash mid-write
  auto rows = load_tsv(path);
  ASSERT_EQ(rows.size(), 2u);  // the torn line is skipped
  TsvWriter again(path);
  again.append({4, 1.25, 12});
  rows = load_tsv(path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].trials, 12);
  std::ofstream(path, std::ios::app) << "garbage\n";
  std::ofstream(path, std::ios::app) << tsv_line({5, 1.0, 16});
  EXPECT_NE(error_of([&] { load_tsv(path); }).find("t.tsv:4"), std::string::npos);
  fs::remove_all(dir);
}

TEST(TaskGradient, PrefersHeavyImprovingAndUnmeasuredTasks) {
  SchedulerOptions o;
  TaskProgress flat;
  flat.rounds = 4;
  flat.best_seconds = 1e-3;
  flat.best_history = {1e-3, 1e-3, 1e-3, 1e-3};
  // forward = best/rounds = 0.25 ms of possible gain, weighted 0.8 and by the weight.
  EXPECT_NEAR(task_gradient(flat, 1, 1e6, 0, 1, o), -0.8 * 0.25e-3, 1e-12);
  EXPECT_NEAR(task_gradient(flat, 10, 1e6, 0, 1, o), -0.8 * 0.25e-3 * 10, 1e-12);
  // A task that improved over its last 3 rounds gets the backward term too.
  TaskProgress improving = flat;
  improving.best_history = {4e-3, 3e-3, 2e-3, 1e-3};
  EXPECT_NEAR(task_gradient(improving, 1, 1e6, 0, 1, o), 0.2 * (-1e-3) - 0.8 * 0.25e-3, 1e-12);
  // A similar task running at 1e12 FLOP/s bounds the optimistic next latency:
  // beta x 1e6 / 1e12 = 2 us, so the gain is up to best - 2 us, more than best/rounds.
  EXPECT_NEAR(task_gradient(flat, 1, 1e6, 1e12, 2, o), 0.8 * (2e-6 - 1e-3), 1e-12);
  // Without a measurement a task dominates every measured one.
  TaskProgress none;
  none.rounds = 1;
  EXPECT_LT(task_gradient(none, 1, 1e6, 0, 1, o), task_gradient(improving, 100, 1e6, 0, 1, o));
}

ScheduledTask dense_task(const std::string& name, const std::string& params, int weight,
                         std::shared_ptr<costmodel::CostModel> model, uint64_t seed) {
  ops::OpInstance inst = ops::build_op("dense", ops::OpParams::parse(params));
  search::SearchOptions so;
  so.population = 48;
  so.num_iterations = 1;
  ScheduledTask t;
  t.name = name;
  t.weight = weight;
  t.policy = std::make_unique<search::SearchPolicy>(search::SearchTask(inst.dag), model, so, seed);
  MeasureOptions mo;
  mo.runner.repeat = 1;
  t.measurer = std::make_unique<TaskMeasurer>(t.policy->task(), mo);
  return t;
}

std::vector<ScheduledTask> two_dense_tasks(std::shared_ptr<costmodel::CostModel> model) {
  std::vector<ScheduledTask> tasks;
  tasks.push_back(dense_task("dense", "m=16,n=32,k=16", 1, model, 1));
  tasks.push_back(dense_task("dense_1", "m=8,n=16,k=32", 3, model, 2));
  return tasks;
}

TEST(TaskScheduler, WarmsUpSpendsTheExactBudgetAndLogsEveryRound) {
  fs::path dir = fs::temp_directory_path() / "bcd_scheduler_test";
  fs::remove_all(dir);
  auto model = costmodel::make_random_model(0);
  SchedulerOptions o;
  o.num_measures_per_round = 4;
  RecordWriter records((dir / "records.json").string());
  TsvWriter tsv((dir / "tuning.tsv").string());
  TaskScheduler s(two_dense_tasks(std::move(model)), o, &records, &tsv);
  int rounds = 0;
  s.set_on_round([&](const SchedulerRound& r) {
    ++rounds;
    EXPECT_EQ(r.round, rounds);
    EXPECT_EQ(r.total_trials, s.total_trials());
  });
  EXPECT_FALSE(s.estimated_latency());
  s.warm_up({0, 1});
  EXPECT_EQ(s.progress(0).trials, 4);
  EXPECT_EQ(s.progress(1).trials, 4);
  ASSERT_TRUE(s.estimated_latency());
  EXPECT_NEAR(*s.estimated_latency(), s.progress(0).best_seconds + 3 * s.progress(1).best_seconds, 1e-15);
  s.tune(18);  // 8 warm-up trials, two rounds of 4, then one of 2 to end exactly at the budget
  EXPECT_EQ(s.total_trials(), 18);
  EXPECT_EQ(rounds, 5);

  auto rows = load_tsv(tsv.path());
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_FALSE(rows[0].latency_ms);  // only the first task measured
  ASSERT_TRUE(rows[1].latency_ms);
  EXPECT_EQ(rows.back().trials, 18);
  EXPECT_NEAR(*rows.back().latency_ms, *s.estimated_latency() * 1e3, 1e-3);
  auto logged = load_records(records.path());
  ASSERT_EQ(logged.size(), 18u);
  EXPECT_EQ(logged[0].task, "dense");
  EXPECT_EQ(logged[4].task, "dense_1");
  fs::remove_all(dir);
}

TEST(TaskScheduler, ResumeReplaysRecordsAndNeverProposesThemAgain) {
  fs::path dir = fs::temp_directory_path() / "bcd_scheduler_resume_test";
  fs::remove_all(dir);
  std::string path = (dir / "records.json").string();
  SchedulerOptions o;
  o.num_measures_per_round = 4;
  {
    RecordWriter records(path);
    TaskScheduler s(two_dense_tasks(costmodel::make_random_model(0)), o, &records, nullptr);
    s.warm_up({0, 1});
  }
  auto before = load_records(path);
  ASSERT_EQ(before.size(), 8u);
  RecordWriter records(path);
  TaskScheduler s(two_dense_tasks(costmodel::make_random_model(0)), o, &records, nullptr);
  // A duplicated line (copied logs, a hand edit) counts once toward the budget.
  std::vector<Record> doubled = before;
  doubled.insert(doubled.end(), before.begin(), before.begin() + 3);
  EXPECT_EQ(s.resume(doubled), 8);
  EXPECT_EQ(s.total_trials(), 8);
  ASSERT_TRUE(s.estimated_latency());
  s.warm_up({0, 1});  // both measured already: nothing to do
  EXPECT_EQ(s.total_trials(), 8);
  s.tune(16);
  auto after = load_records(path);
  ASSERT_EQ(after.size(), 16u);
  std::set<std::string> seen;
  for (const auto& r : after)
    EXPECT_TRUE(seen.insert(r.workload_key + schedule::history_to_json(r.steps).dump()).second)
        << "measured twice: " << r.task;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bcd::tuning
