// A round's fastest candidate is measured again before it is reported: a time that
// was luck in one worker must not make a program a task's best.
#include <gtest/gtest.h>

#include "tuning/confirm_fastest.h"

using namespace bcd;

namespace {
runtime::MeasureResult timed(std::vector<double> costs) {
  runtime::MeasureResult r;
  r.costs = std::move(costs);
  return r;
}

runtime::MeasureResult failed(runtime::MeasureError error) {
  runtime::MeasureResult r;
  r.error = error;
  r.error_message = "output 0 differs";
  return r;
}

// A fake fresh worker: each candidate's second measurement, and a log of the calls.
struct FakeWorker {
  std::vector<runtime::MeasureResult> second;
  std::vector<std::pair<size_t, bool>> calls;
  tuning::MeasureAgain measure() {
    return [this](size_t i, bool time_it) {
      calls.emplace_back(i, time_it);
      return second[i];
    };
  }
};
}  // namespace

TEST(ConfirmFastest, AFastestThatIsFastAgainKeepsItsSlowerTimeAndNothingElseRuns) {
  std::vector<runtime::MeasureResult> results{timed({3.0}), timed({1.0, 1.2}), timed({2.0})};
  FakeWorker worker{{timed({9.0}), timed({1.3, 1.5}), timed({9.0})}, {}};
  EXPECT_EQ(tuning::confirm_fastest(results, worker.measure(), 3).measured, 1);
  ASSERT_EQ(worker.calls.size(), 1u);
  EXPECT_EQ(worker.calls[0], std::make_pair(size_t{1}, true));
  // The slower of its two times: 1.4 against 1.1.
  EXPECT_EQ(results[1].costs, (std::vector<double>{1.3, 1.5}));
  EXPECT_EQ(results[0].costs, (std::vector<double>{3.0}));
  EXPECT_EQ(results[2].costs, (std::vector<double>{2.0}));

  // Faster the second time: the first time stands.
  std::vector<runtime::MeasureResult> again{timed({1.0})};
  FakeWorker lucky{{timed({0.5})}, {}};
  EXPECT_EQ(tuning::confirm_fastest(again, lucky.measure(), 3).measured, 1);
  EXPECT_EQ(again[0].costs, (std::vector<double>{1.0}));
}

TEST(ConfirmFastest, ALuckyTimeGivesWayToTheNextFastestWhichIsConfirmedInTurn) {
  // Candidate 0 was lucky (1.0, then 3.0); candidate 2 confirms at 2.1 and wins.
  std::vector<runtime::MeasureResult> results{timed({1.0}), timed({2.5}), timed({2.0})};
  FakeWorker worker{{timed({3.0}), timed({2.6}), timed({2.1})}, {}};
  EXPECT_EQ(tuning::confirm_fastest(results, worker.measure(), 3).measured, 2);
  ASSERT_EQ(worker.calls.size(), 2u);
  EXPECT_EQ(worker.calls[0].first, 0u);
  EXPECT_EQ(worker.calls[1].first, 2u);
  EXPECT_DOUBLE_EQ(results[0].mean_cost(), 3.0);
  EXPECT_DOUBLE_EQ(results[2].mean_cost(), 2.1);
  EXPECT_DOUBLE_EQ(results[1].mean_cost(), 2.5);  // never the fastest: never re-run
}

TEST(ConfirmFastest, AWrongAnswerOnTheCheckLosesItsTimeAndTheNextIsChecked) {
  std::vector<runtime::MeasureResult> results{timed({1.0}), timed({2.0})};
  FakeWorker worker{{failed(runtime::MeasureError::WrongAnswer), timed({2.0})}, {}};
  EXPECT_EQ(tuning::confirm_fastest(results, worker.measure(), 3).measured, 2);
  EXPECT_EQ(results[0].error, runtime::MeasureError::WrongAnswer);
  EXPECT_EQ(results[0].error_message, "output 0 differs");
  EXPECT_TRUE(results[0].costs.empty());
  EXPECT_EQ(results[1].error, runtime::MeasureError::None);
  // The failed check was no timing: the next candidate is still timed.
  EXPECT_TRUE(worker.calls[1].second);
}

TEST(ConfirmFastest, AfterItsTimingsAreSpentTheFastestIsOnlyChecked) {
  // Every candidate is slower the second time; with one timing allowed the second
  // fastest is checked, not timed, and keeps its first time.
  std::vector<runtime::MeasureResult> results{timed({1.0}), timed({1.5}), timed({1.8})};
  FakeWorker worker{{timed({2.0}), timed({2.5}), timed({2.8})}, {}};
  tuning::Confirmation done = tuning::confirm_fastest(results, worker.measure(), 1);
  EXPECT_EQ(done.measured, 2);
  EXPECT_EQ(done.retimed, 1);
  ASSERT_EQ(worker.calls.size(), 2u);
  EXPECT_EQ(worker.calls[0], std::make_pair(size_t{0}, true));
  EXPECT_EQ(worker.calls[1], std::make_pair(size_t{1}, false));
  EXPECT_DOUBLE_EQ(results[0].mean_cost(), 2.0);
  EXPECT_DOUBLE_EQ(results[1].mean_cost(), 1.5);

  // With no timings allowed (re-measuring programs side by side), the fastest is
  // only checked and every time stands.
  std::vector<runtime::MeasureResult> checked{timed({1.0}), timed({1.5})};
  FakeWorker checker{{timed({2.0}), timed({2.5})}, {}};
  done = tuning::confirm_fastest(checked, checker.measure(), 0);
  EXPECT_EQ(done.measured, 1);
  EXPECT_EQ(done.retimed, 0);
  EXPECT_FALSE(checker.calls[0].second);
  EXPECT_DOUBLE_EQ(checked[0].mean_cost(), 1.0);
}

TEST(ConfirmFastest, ARoundWithoutAValidCandidateRunsNothing) {
  std::vector<runtime::MeasureResult> results{failed(runtime::MeasureError::Timeout)};
  FakeWorker worker{{timed({1.0})}, {}};
  EXPECT_EQ(tuning::confirm_fastest(results, worker.measure(), 3).measured, 0);
  EXPECT_TRUE(worker.calls.empty());
  std::vector<runtime::MeasureResult> none;
  EXPECT_EQ(tuning::confirm_fastest(none, worker.measure(), 3).measured, 0);
}
