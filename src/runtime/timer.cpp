#include "runtime/timer.h"

#include <algorithm>
#include <chrono>

#include <unistd.h>

#include "support/error.h"

namespace bcd::runtime {

std::vector<double> time_repeats(const std::function<double(int)>& timed_runs, const TimingOptions& options) {
  if (options.number < 1 || options.repeat < 1 || options.min_repeat_ms < 0)
    fail("invalid timing options: number {}, repeat {}, min_repeat_ms {}", options.number,
         options.repeat, options.min_repeat_ms);
  timed_runs(1);
  std::vector<double> costs;
  int number = options.number;
  for (int r = 0; r < options.repeat; ++r) {
    while (true) {
      if (options.before_repeat) options.before_repeat();
      double seconds = timed_runs(number);
      if (seconds * 1e3 >= options.min_repeat_ms || number >= (1 << 24)) {
        costs.push_back(seconds / number);
        break;
      }
      // Grow towards the minimum, at least doubling so the loop ends quickly.
      double wanted = options.min_repeat_ms / std::max(seconds * 1e3 / number, 1e-6);
      number = std::max(number * 2, static_cast<int>(std::min(wanted * 1.1, 1e7)));
    }
  }
  return costs;
}

std::vector<double> time_function(const std::function<void()>& fn, const TimingOptions& options) {
  using clock = std::chrono::steady_clock;
  return time_repeats(
      [&](int number) {
        auto start = clock::now();
        for (int i = 0; i < number; ++i) fn();
        return std::chrono::duration<double>(clock::now() - start).count();
      },
      options);
}

double median(std::vector<double> values) {
  BCD_CHECK(!values.empty(), "median of nothing");
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

size_t cpu_cache_flush_bytes() {
  long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (llc <= 0) llc = sysconf(_SC_LEVEL2_CACHE_SIZE);
  return std::clamp<size_t>(llc > 0 ? 2 * static_cast<size_t>(llc) : 0, 32u << 20, 512u << 20);
}

}  // namespace bcd::runtime
