#include <gtest/gtest.h>
#include <algorithm>
#include <cstdio>
#include "costmodel/cost_model.h"
#include "costmodel/features.h"
#include "costmodel/measured_programs.h"
using namespace bcd;
TEST(TmpExperiment, Options) {
  const auto& task = testutil::measured_dense_task();
  size_t n = task.programs.size();
  std::vector<double> secs;
  for (auto& p : task.programs) secs.push_back(p.seconds);
  std::sort(secs.begin(), secs.end());
  for (double q : {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0}) std::printf("q%.2f %.6f s\n", q, secs[std::min(n - 1, size_t(q * n))]);
  double total = 0; for (double s : secs) total += s; std::printf("total %.3f\n", total);
  size_t train = n * 3 / 4;
  std::vector<costmodel::ProgramFeatures> test, trainf;
  std::vector<double> truth, ttruth;
  for (size_t k = train; k < n; ++k) test.push_back(task.programs[k].features), truth.push_back(task.programs[k].throughput);
  for (size_t k = 0; k < train; ++k) trainf.push_back(task.programs[k].features), ttruth.push_back(task.programs[k].throughput);
  for (double mw : {0.0, 0.01, 0.1, 1.0})
    for (int rounds : {10, 30}) for (int updates : {1, 3}) {
      costmodel::XGBoostOptions o; o.threads = 1; o.seed = 7; o.min_weight = mw; o.rounds_per_update = rounds;
      auto m = costmodel::make_xgboost_model(o);
      for (int b = 0; b < updates; ++b) m->update(testutil::samples_of(task, train * b / updates, train * (b + 1) / updates));
      double acc = testutil::pairwise_accuracy(m->predict(test), truth);
      double tacc = testutil::pairwise_accuracy(m->predict(trainf), ttruth);
      std::printf("min_weight %.2f rounds %d x%d: held-out %.3f train %.3f\n", mw, rounds, updates, acc, tacc);
    }
}
