// The time a candidate may take before it counts as a timeout: it must cover what
// the timing does besides running the kernel (cache flushes), or every candidate of
// a round is cut off.
#include <gtest/gtest.h>

#include "runtime/timer.h"
#include "tuning/task_measurer.h"

using namespace bcd;

TEST(CandidateTimeBudget, WarmRepeatsGetTheirMinimumTimeAndASecond) {
  runtime::RunnerOptions warm = tuning::tuning_measure_options(10).runner;
  // 1 ms kernels at a cutoff of 50: 50 ms warm-up, 3 repeats of max(50, 20) ms.
  EXPECT_NEAR(tuning::candidate_time_budget(warm, 1e-3, 50), 0.05 + 3 * 0.05 + 1.0, 1e-9);
  // Never above the runner's own timeout.
  EXPECT_EQ(tuning::candidate_time_budget(warm, 1.0, 50), 10);
}

TEST(CandidateTimeBudget, FlushedTimingAlsoGetsItsFlushesAtOneGigabytePerSecond) {
  runtime::RunnerOptions flushed = tuning::tuning_measure_options(10, tuning::CacheState::Flushed).runner;
  ASSERT_TRUE(flushed.flush_cache);
  const double flush = static_cast<double>(runtime::cpu_cache_flush_bytes()) / 1e9;
  // 5 single runs, each after a flush, and the buffer's first write.
  EXPECT_NEAR(tuning::candidate_time_budget(flushed, 1e-4, 50), 0.005 + 5 * 0.005 + 1.0 + 6 * flush, 1e-9);
  EXPECT_GE(runtime::cpu_cache_flush_bytes(), 32u << 20);
  EXPECT_LE(runtime::cpu_cache_flush_bytes(), 512u << 20);
  runtime::RunnerOptions cold = tuning::tuning_measure_options(10, tuning::CacheState::ColdActivations).runner;
  EXPECT_NEAR(tuning::candidate_time_budget(cold, 1e-4, 50), 0.005 + 10 * 0.005 + 1.0, 1e-9);
}
