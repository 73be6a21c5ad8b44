#include "support/parallel_for.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

using bcd::parallel_for;

TEST(ParallelFor, RunsEveryIndexOnce) {
  std::vector<std::atomic<int>> runs(1000);
  parallel_for(runs.size(), [&](size_t i) { ++runs[i]; });
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].load(), 1) << i;
  int calls = 0;
  parallel_for(0, [&](size_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ParallelFor, RethrowsTheFirstFailureAfterTheOthersStop) {
  // Items are handed out in order; after item 50 fails each thread finishes at most
  // the item it holds, so far fewer than the 1999 others run. Each item takes a
  // millisecond: with instant items a thread that kept its core could finish all
  // of them while the failing one was still unwinding (seen on a busy 2-core machine).
  std::atomic<int> done{0};
  EXPECT_THROW(parallel_for(2000,
                            [&](size_t i) {
                              if (i == 50) throw std::runtime_error("item 50");
                              std::this_thread::sleep_for(std::chrono::milliseconds(1));
                              ++done;
                            }),
               std::runtime_error);
  EXPECT_LT(done.load(), 1000);
}
