// Measuring one task's candidates on this machine: the round's fastest is checked
// and timed again in a fresh worker, except where every time must count as taken.
#include <gtest/gtest.h>

#include <random>

#include "ops/registry.h"
#include "testing/random_states.h"
#include "tuning/task_measurer.h"

namespace bcd::tuning {
namespace {

std::vector<schedule::State> candidates(const ir::ComputeDAG& dag) {
  std::mt19937_64 rng(3);
  std::vector<schedule::State> states{schedule::State(dag)};
  for (int i = 0; i < 3; ++i) states.push_back(testutil::search_state(dag, rng));
  return states;
}

TEST(TaskMeasurer, TheRoundsFastestIsCheckedAndTimedAgainInAFreshWorker) {
  ops::OpInstance inst = ops::build_op("dense", ops::OpParams::parse("m=8,n=16,k=16"));
  search::SearchTask task(inst.dag);
  MeasureOptions options;
  options.runner.repeat = 2;
  TaskMeasurer measurer(task, options);
  std::vector<runtime::MeasureResult> results = measurer.measure(candidates(inst.dag));
  ASSERT_EQ(results.size(), 4u);
  for (const auto& r : results) {
    ASSERT_EQ(r.error, runtime::MeasureError::None) << r.error_message;
    EXPECT_EQ(r.costs.size(), 2u);  // a confirmed one keeps one worker's repeats
  }
  EXPECT_GE(measurer.stats().retimed, 1);
  EXPECT_LE(measurer.stats().retimed, 3);
  EXPECT_GE(measurer.stats().verified, measurer.stats().retimed);
}

TEST(TaskMeasurer, WithoutRetimingTheFastestIsOnlyChecked) {
  ops::OpInstance inst = ops::build_op("dense", ops::OpParams::parse("m=8,n=16,k=16"));
  search::SearchTask task(inst.dag);
  MeasureOptions options;
  options.runner.repeat = 2;
  options.retime_best = false;
  TaskMeasurer measurer(task, options);
  std::vector<runtime::MeasureResult> results = measurer.measure(candidates(inst.dag));
  for (const auto& r : results) EXPECT_EQ(r.error, runtime::MeasureError::None) << r.error_message;
  EXPECT_EQ(measurer.stats().retimed, 0);
  EXPECT_EQ(measurer.stats().verified, 1);
}

}  // namespace
}  // namespace bcd::tuning
