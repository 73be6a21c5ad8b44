// The XGBoost cost model learns to rank held-out programs of real tasks (labels
// from a synthetic cost of the loop structure by default, measured on this
// machine with BCD_COSTMODEL_MEASURE=<programs>), fine-tuning continues the same
// model, and save/load round-trips exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "costmodel/cost_model.h"
#include "costmodel/features.h"
#include "costmodel/program_sets.h"
#include "support/error.h"

using namespace bcd;
using costmodel::ProgramFeatures;
using testutil::ProgramSet;

namespace {

costmodel::XGBoostOptions test_options() {
  costmodel::XGBoostOptions o;
  o.threads = 1;  // deterministic and polite on a shared machine
  o.seed = 7;
  return o;
}

const ProgramSet& dense_set() {
  static const ProgramSet set = testutil::synthetic_program_set("dense", "m=64,k=128,n=64", 300, 21);
  return set;
}

const ProgramSet& conv_set() {
  static const ProgramSet set = testutil::synthetic_program_set("conv2d", "c=16,h=14,w=14,o=32", 300, 22);
  return set;
}

std::vector<ProgramFeatures> features_of(const ProgramSet& t, size_t begin, size_t end) {
  std::vector<ProgramFeatures> out;
  for (size_t k = begin; k < end; ++k) out.push_back(t.programs[k].features);
  return out;
}

std::vector<double> throughputs_of(const ProgramSet& t, size_t begin, size_t end) {
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

// Ansor's peak score: the best true throughput among the k programs the scores
// rank highest, relative to the best of all (what a search measuring the top k
// would find).
double top_k_peak(const std::vector<double>& scores, const std::vector<double>& truth, size_t k) {
  std::vector<size_t> order(scores.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  double found = 0;
  for (size_t i = 0; i < std::min(k, order.size()); ++i) found = std::max(found, truth[order[i]]);
  return found / *std::max_element(truth.begin(), truth.end());
}

#define REQUIRE_XGBOOST() \
  if (!costmodel::xgboost_available()) GTEST_SKIP() << "built without XGBoost"

}  // namespace

TEST(XGBoostModel, RanksHeldOutProgramsOfTwoTasks) {
  REQUIRE_XGBOOST();
  const ProgramSet* sets[] = {&dense_set(), &conv_set()};
  for (const ProgramSet* s : sets) ASSERT_GE(s->programs.size(), 200u) << "too few distinct programs";

  // Three updates of both tasks' first three quarters, as the search would
  // train after measurement rounds; test on the last quarters.
  auto model = costmodel::make_xgboost_model(test_options());
  for (size_t b = 0; b < 3; ++b) {
    std::vector<costmodel::TrainingSample> batch;
    for (const ProgramSet* s : sets) {
      size_t train = s->programs.size() * 3 / 4;
      auto part = testutil::samples_of(*s, train * b / 3, train * (b + 1) / 3);
      batch.insert(batch.end(), part.begin(), part.end());
    }
    model->update(batch);
  }
  EXPECT_EQ(model->num_trees(), 30);
  auto random = costmodel::make_random_model(1);
  for (const ProgramSet* s : sets) {
    size_t n = s->programs.size(), train = n * 3 / 4;
    auto test = features_of(*s, train, n);
    auto truth = throughputs_of(*s, train, n);
    std::vector<double> scores = model->predict(test), random_scores = random->predict(test);
    double accuracy = testutil::pairwise_accuracy(scores, truth);
    double random_accuracy = testutil::pairwise_accuracy(random_scores, truth);
    std::printf("[ accuracy ] %s (synthetic cost): pairwise ranking of %zu held-out programs %.3f, random model %.3f;"
                " best of top 8 picks %.2f of the best, random %.2f\n",
                s == sets[0] ? "dense" : "conv2d", n - train, accuracy, random_accuracy, top_k_peak(scores, truth, 8),
                top_k_peak(random_scores, truth, 8));
    // The objective weighs good programs most, so the many slow ones are ranked
    // among themselves only roughly; 0.5 is chance.
    EXPECT_GT(accuracy, 0.6);
    EXPECT_GT(accuracy, random_accuracy + 0.08);
  }
}

// Real measurements; slow the first time (clang compiles every kernel), so opt-in.
TEST(XGBoostModel, RanksMeasuredProgramsBetterThanChance) {
  REQUIRE_XGBOOST();
  const char* env = std::getenv("BCD_COSTMODEL_MEASURE");
  if (!env) GTEST_SKIP() << "set BCD_COSTMODEL_MEASURE=<programs, e.g. 200> to measure on this machine";
  const ProgramSet& set = testutil::measured_dense_set(std::atoi(env));
  size_t n = set.programs.size();
  ASSERT_GE(n, 40u);
  double best = 0, worst = 1e30;
  for (const auto& p : set.programs) best = std::max(best, p.throughput), worst = std::min(worst, p.throughput);
  std::printf("[ measured ] %zu dense programs in %.1f s (%.1f s compiling); %.3f to %.2f GFLOP/s\n", n,
              set.measure_seconds, set.compile_seconds, worst / 1e9, best / 1e9);

  // 4-fold cross-validation: every program is held out once.
  double accuracy = 0, random_accuracy = 0, peak = 0, random_peak = 0;
  for (size_t fold = 0; fold < 4; ++fold) {
    std::vector<costmodel::TrainingSample> train;
    std::vector<ProgramFeatures> test;
    std::vector<double> truth;
    for (size_t k = 0; k < n; ++k) {
      if (k % 4 == fold) {
        test.push_back(set.programs[k].features);
        truth.push_back(set.programs[k].throughput);
      } else {
        train.push_back({set.programs[k].features, set.task, set.programs[k].throughput});
      }
    }
    auto model = costmodel::make_xgboost_model(test_options());
    model->update(train);
    std::vector<double> scores = model->predict(test);
    std::vector<double> random_scores = costmodel::make_random_model(fold)->predict(test);
    accuracy += testutil::pairwise_accuracy(scores, truth) / 4;
    random_accuracy += testutil::pairwise_accuracy(random_scores, truth) / 4;
    peak += top_k_peak(scores, truth, 8) / 4;
    random_peak += top_k_peak(random_scores, truth, 8) / 4;
  }
  std::printf("[ accuracy ] measured dense: 4-fold held-out pairwise ranking %.3f, random model %.3f;"
              " best of top 8 picks %.2f of the best, random %.2f\n",
              accuracy, random_accuracy, peak, random_peak);
  EXPECT_GT(accuracy, 0.6);
  EXPECT_GT(accuracy, random_accuracy + 0.05);
}

TEST(XGBoostModel, ContinuedTrainingGrowsTheSameModel) {
  REQUIRE_XGBOOST();
  const ProgramSet& task = dense_set();
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
  const ProgramSet& task = dense_set();
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
  const ProgramSet& task = dense_set();
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
