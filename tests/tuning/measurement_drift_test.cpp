// The drift between two runs' machines, from the programs both measured, and the
// comparison with it divided out, on hand-made records and TSV rows.
#include "tuning/measurement_drift.h"

#include <gtest/gtest.h>

#include "testing/hand_records.h"

namespace bcd::tuning {
namespace {

// A record of program `id` of workload `key` (its steps differ by one split length).
Record program(const std::string& key, int id, double ms) {
  Record r = testutil::hand_record(key, "conv", ms);
  schedule::Step split;
  split.kind = schedule::StepKind::Split;
  split.extent = 1024;
  split.lengths = {id};
  r.steps = {split};
  return r;
}

TEST(MeasurementDrift, TheMedianRatioOfTheProgramsBothRunsMeasuredFirstTimes) {
  std::vector<Record> a, b;
  for (int i = 1; i <= 11; ++i) {
    a.push_back(program("c", i, i));
    b.push_back(program("c", i, i * (i <= 6 ? 1.2 : 1.5)));  // median 1.2: six of eleven at 1.2
  }
  a.push_back(program("c", 1, 0.5));   // a later time of a program: its first counts
  b.push_back(program("c", 99, 1));    // measured by B only
  b.push_back(program("p", 1, 100));   // the same steps on another workload
  a.push_back(program("c", 50, 1));    // an error in B: left out
  b.push_back(program("c", 50, 0));
  std::optional<MeasurementDrift> d = measurement_drift(a, b);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->programs, 11);
  EXPECT_NEAR(d->median, 1.2, 1e-9);
  EXPECT_NEAR(d->p10, 1.2, 1e-9);
  EXPECT_NEAR(d->p90, 1.5, 1e-9);
  EXPECT_FALSE(measurement_drift(a, b, 12));  // too few programs to say
  EXPECT_FALSE(measurement_drift(a, {}));
  std::optional<MeasurementDrift> same = measurement_drift(a, a);
  ASSERT_TRUE(same);
  EXPECT_DOUBLE_EQ(same->median, 1);
}

TEST(MeasurementDrift, DividingTheDriftOutOfBsEstimatesLetsItReachAsBest) {
  // A reaches 10 ms at 100 s. B timed on a machine 1.25x slower ends at 12 ms at
  // 30 s and never gets there; on A's machine it would have been 9.6 ms.
  std::vector<TsvRow> a = {{10, std::nullopt, 8}, {50, 14.0, 16}, {100, 10.0, 24}};
  std::vector<TsvRow> b = {{10, 15.0, 8}, {30, 12.0, 16}, {90, 12.0, 24}};
  EXPECT_FALSE(compare_runs(a, b).speedup);
  std::vector<TsvRow> scaled = rescaled(b, 1.25);
  ASSERT_EQ(scaled.size(), b.size());
  EXPECT_DOUBLE_EQ(*scaled[1].latency_ms, 9.6);
  EXPECT_EQ(scaled[1].elapsed_seconds, 30);
  RunComparison adjusted = compare_runs(a, scaled);
  ASSERT_TRUE(adjusted.speedup);
  EXPECT_NEAR(*adjusted.speedup, 100.0 / 30.0, 1e-9);
  MeasurementDrift drift{40, 1.25, 1.1, 1.4};
  std::string md = drift_markdown(drift, adjusted);
  EXPECT_NE(md.find("40 identical programs"), std::string::npos) << md;
  EXPECT_NE(md.find("median 1.250 of A's time"), std::string::npos) << md;
  EXPECT_NE(md.find("9.600 ms, 0.9600 of A's"), std::string::npos) << md;
  EXPECT_NE(md.find("3.33x"), std::string::npos) << md;
}

}  // namespace
}  // namespace bcd::tuning
