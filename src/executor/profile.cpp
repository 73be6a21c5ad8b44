#include "executor/profile.h"

#include <chrono>
#include <numeric>

#include "runtime/timer.h"
#include "support/error.h"

namespace bcd::executor {

double NetworkProfile::steps_seconds() const {
  return std::accumulate(step_seconds.begin(), step_seconds.end(), 0.0);
}

NetworkProfile profile_runs(int steps, const std::function<void(std::vector<double>*)>& run, int repeat) {
  if (repeat < 1) fail("--profile needs at least one run, not {}", repeat);
  run(nullptr);  // warm-up: page faults, thread start
  std::vector<std::vector<double>> per_step(steps);
  std::vector<double> whole;
  std::vector<double> seconds;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    run(nullptr);
    whole.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    run(&seconds);
    BCD_CHECK(static_cast<int>(seconds.size()) == steps, "a profiled run timed {} steps of {}", seconds.size(), steps);
    for (int s = 0; s < steps; ++s) per_step[s].push_back(seconds[s]);
  }
  NetworkProfile p;
  for (auto& v : per_step) p.step_seconds.push_back(runtime::median(v));
  p.end_to_end_seconds = runtime::median(whole);
  return p;
}

NetworkProfile profile_network(Network& network, const std::vector<const NDArray*>& inputs, int repeat) {
  if (network.on_gpu()) fail("--profile times each step on the CPU; a network on the GPU cannot be profiled yet");
  return profile_runs(
      network.num_steps(), [&](std::vector<double>* seconds) { network.run(inputs, seconds); }, repeat);
}

}  // namespace bcd::executor
