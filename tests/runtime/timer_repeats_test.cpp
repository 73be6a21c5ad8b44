// The repeat loop over a caller's clock (how GPU events time kernels).
#include <gtest/gtest.h>

#include "runtime/timer.h"
#include "support/error.h"

using namespace bcd;

TEST(TimerRepeats, WarmsUpThenTimesEachRepeatWithTheCallersClock) {
  std::vector<int> calls;
  // A fake clock: every run takes 2 ms.
  auto costs = runtime::time_repeats(
      [&](int n) {
        calls.push_back(n);
        return n * 2e-3;
      },
      {.number = 3, .repeat = 4});
  EXPECT_EQ(calls, (std::vector<int>{1, 3, 3, 3, 3}));
  ASSERT_EQ(costs.size(), 4u);
  for (double c : costs) EXPECT_DOUBLE_EQ(c, 2e-3);
}

TEST(TimerRepeats, GrowsTheRunCountToTheMinimumRepeatTime) {
  std::vector<int> calls;
  int flushes = 0;
  // Every run takes 0.1 ms; a repeat must last 5 ms, so at least 50 runs.
  auto costs = runtime::time_repeats(
      [&](int n) {
        calls.push_back(n);
        return n * 1e-4;
      },
      {.number = 1, .repeat = 2, .min_repeat_ms = 5, .before_repeat = [&] { ++flushes; }});
  ASSERT_EQ(costs.size(), 2u);
  for (double c : costs) EXPECT_DOUBLE_EQ(c, 1e-4);
  EXPECT_GE(calls.back(), 50);
  EXPECT_EQ(flushes, static_cast<int>(calls.size()) - 1);  // every timed attempt, not the warm-up
  EXPECT_THROW(runtime::time_repeats([](int) { return 1.0; }, {.number = 0}), Error);
}
