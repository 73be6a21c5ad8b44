// Timing a kernel the way Ansor measures: `repeat` repeats of `number` runs each;
// a repeat shorter than `min_repeat_ms` is redone with more runs. One warm-up run
// first, so that page faults and thread start-up are not timed.
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

namespace bcd::runtime {

struct TimingOptions {
  int number = 1;
  int repeat = 3;
  double min_repeat_ms = 0;
  // Runs before every timed repeat, outside the timing (e.g. a cache flush).
  std::function<void()> before_repeat;
};

// Seconds per run, one value per repeat.
std::vector<double> time_function(const std::function<void()>& fn, const TimingOptions& options);

// The same repeat loop over another clock: `timed_runs(n)` runs the kernel n times
// and returns the seconds they took (e.g. between two GPU events). Its first call,
// with n = 1, is the untimed warm-up.
std::vector<double> time_repeats(const std::function<double(int)>& timed_runs, const TimingOptions& options);

double median(std::vector<double> values);

// Bytes a CPU cache flush writes: twice the last-level cache, which evicts it under
// any replacement policy, bounded to 32-512 MiB so that a flush costs milliseconds.
size_t cpu_cache_flush_bytes();

}  // namespace bcd::runtime
