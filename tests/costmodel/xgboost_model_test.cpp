// The XGBoost cost model on real measurements: it learns to rank held-out
// programs of the task, fine-tuning continues the same model, and save/load
// round-trips exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "costmodel/cost_model.h"
#include "costmodel/features.h"
#include "costmodel/measured_programs.h"
#include "support/error.h"

using namespace bcd;
using costmodel::ProgramFeatures;

namespace {

costmodel::XGBoostOptions test_options() {
  costmodel::XGBoostOptions o;
  o.threads = 1;  // deterministic and polite on a shared machine
  o.seed = 7;
  return o;
}

std::vector<ProgramFeatures> features_of(const testutil::MeasuredTask& t, size_t begin, size_t end) {
  std::vector<ProgramFeatures> out;
  for (size_t k = begin; k < end; ++k) out.push_back(t.programs[k].features);
  return out;
}

std::vector<double> throughputs_of(const testutil::MeasuredTask& t, size_t begin, size_t end) {
  std::vector<double> out;
  for (size_t k = begin; k < end; ++k) out.push_back(t.programs[k].throughput);
  return out;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i] / a.size(), mb += b[i] / b.size();
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

#define REQUIRE_XGBOOST() \
  if (!costmodel::xgboost_available()) GTEST_SKIP() << "built without XGBoost"

}  // namespace

TEST(XGBoostModel, RanksHeldOutMeasuredProgramsBetterThanChance) {
  REQUIRE_XGBOOST();
  const auto& task = testutil::measured_dense_task();
  size_t n = task.programs.size();
  ASSERT_GE(n, 120u) << "too few distinct programs";
  double best = 0, worst = 1e30;
  for (const auto& p : task.programs) best = std::max(best, p.throughput), worst = std::min(worst, p.throughput);
  std::printf("[ measured ] %zu dense programs in %.1f s (%.1f s compiling); %.3f to %.2f GFLOP/s\n", n,
              task.measure_seconds, task.compile_seconds, worst / 1e9, best / 1e9);

  // Train in batches as the search would (three updates of 10 rounds), test on
  // the last quarter.
  size_t train = n * 3 / 4;
  auto model = costmodel::make_xgboost_model(test_options());
  for (size_t b = 0; b < 3; ++b) model->update(testutil::samples_of(task, train * b / 3, train * (b + 1) / 3));
  EXPECT_EQ(model->num_trees(), 30);
  std::vector<double> scores = model->predict(features_of(task, train, n));
  double accuracy = testutil::pairwise_accuracy(scores, throughputs_of(task, train, n));
  double train_accuracy =
      testutil::pairwise_accuracy(model->predict(features_of(task, 0, train)), throughputs_of(task, 0, train));
  std::printf("[ accuracy ] pairwise ranking: held-out %.3f (%zu programs), training %.3f; chance 0.5\n",
              accuracy, n - train, train_accuracy);
  EXPECT_GT(accuracy, 0.65);
  EXPECT_GT(train_accuracy, accuracy - 0.05);

  // The random model is the chance baseline.
  auto random = costmodel::make_random_model(1);
  double random_accuracy = testutil::pairwise_accuracy(random->predict(features_of(task, train, n)),
                                                       throughputs_of(task, train, n));
  std::printf("[ accuracy ] random model: %.3f\n", random_accuracy);
  EXPECT_LT(random_accuracy, accuracy);
}

TEST(XGBoostModel, ContinuedTrainingGrowsTheSameModel) {
  REQUIRE_XGBOOST();
  const auto& task = testutil::measured_dense_task();
  size_t n = task.programs.size();
  auto model = costmodel::make_xgboost_model(test_options());
  EXPECT_EQ(model->num_trees(), 0);
  model->update(testutil::samples_of(task, 0, n / 2));
  EXPECT_EQ(model->num_trees(), 10);
  auto first_half = features_of(task, 0, n / 2);
  std::vector<double> before = model->predict(first_half);

  model->update(testutil::samples_of(task, n / 2, n));
  EXPECT_EQ(model->num_trees(), 20);
  std::vector<double> after = model->predict(first_half);
  // Training went on (predictions moved) from where it was (they did not start
  // over): the first half's scores stay strongly correlated.
  EXPECT_NE(before, after);
  double r = correlation(before, after);
  std::printf("[ fine-tune ] correlation of first-half scores before/after: %.3f\n", r);
  EXPECT_GT(r, 0.8);

  // Same seed, same updates: the same model.
  auto twin = costmodel::make_xgboost_model(test_options());
  twin->update(testutil::samples_of(task, 0, n / 2));
  twin->update(testutil::samples_of(task, n / 2, n));
  EXPECT_EQ(twin->predict(first_half), after);
}

TEST(XGBoostModel, SaveLoadRoundTripsPredictionsAndTrainingState) {
  REQUIRE_XGBOOST();
  const auto& task = testutil::measured_dense_task();
  size_t n = task.programs.size();
  auto model = costmodel::make_xgboost_model(test_options());
  model->update(testutil::samples_of(task, 0, n / 2));
  std::string path = (std::filesystem::temp_directory_path() / "bcd_costmodel_test.xgb").string();
  model->save(path);

  auto loaded = costmodel::make_xgboost_model(test_options());
  loaded->load(path);
  auto all = features_of(task, 0, n);
  EXPECT_EQ(loaded->num_trees(), model->num_trees());
  EXPECT_EQ(loaded->predict(all), model->predict(all));

  // The samples travel with the model: training on after a load is training on
  // after no save at all.
  model->update(testutil::samples_of(task, n / 2, n));
  loaded->update(testutil::samples_of(task, n / 2, n));
  EXPECT_EQ(loaded->num_trees(), 20);
  EXPECT_EQ(loaded->predict(all), model->predict(all));
  std::filesystem::remove(path);

  EXPECT_THROW(loaded->load(path), Error);  // gone
}

TEST(XGBoostModel, ProgramsWithoutRowsScoreLowest) {
  REQUIRE_XGBOOST();
  const auto& task = testutil::measured_dense_task();
  auto model = costmodel::make_xgboost_model(test_options());
  std::vector<ProgramFeatures> programs = {task.programs[0].features, ProgramFeatures{}};
  // Untrained: random scores for real programs.
  std::vector<double> untrained = model->predict(programs);
  EXPECT_GE(untrained[0], 0.0);
  EXPECT_LT(untrained[0], 1.0);
  EXPECT_EQ(untrained[1], costmodel::kInvalidScore);
  model->update(testutil::samples_of(task, 0, 40));
  std::vector<double> trained = model->predict(programs);
  EXPECT_TRUE(std::isfinite(trained[0]));
  EXPECT_EQ(trained[1], costmodel::kInvalidScore);
  // A row of the wrong width is a clear error, not a crash.
  ProgramFeatures bad;
  bad.rows.push_back(costmodel::FeatureRow(3, 0.0f));
  EXPECT_THROW(model->predict({bad}), Error);
}

TEST(CostModelRandom, DeterministicPerSeedAndUniform) {
  std::vector<ProgramFeatures> programs(50);
  for (auto& p : programs) p.rows.push_back(costmodel::FeatureRow(costmodel::num_features(), 0.0f));
  programs.push_back(ProgramFeatures{});
  auto a = costmodel::make_random_model(3), b = costmodel::make_random_model(3), c = costmodel::make_random_model(4);
  std::vector<double> sa = a->predict(programs), sb = b->predict(programs), sc = c->predict(programs);
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
  EXPECT_EQ(sa.back(), costmodel::kInvalidScore);
  for (size_t i = 0; i + 1 < sa.size(); ++i) {
    EXPECT_GE(sa[i], 0.0);
    EXPECT_LT(sa[i], 1.0);
  }
  EXPECT_EQ(a->name(), "random");
  EXPECT_EQ(a->num_trees(), 0);

  // Save/load continues the same sequence.
  std::string path = (std::filesystem::temp_directory_path() / "bcd_random_model_test.txt").string();
  a->save(path);
  auto d = costmodel::make_random_model(99);
  d->load(path);
  EXPECT_EQ(d->predict(programs), a->predict(programs));
  std::filesystem::remove(path);
}
