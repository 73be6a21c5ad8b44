#include "broker/simulated_measurer.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "support/error.h"
#include "support/hash.h"

namespace bcd::broker {

SimulatedMeasurer::SimulatedMeasurer(std::shared_ptr<const std::vector<tuning::Record>> records,
                                     const std::string& workload_key)
    : records_(std::move(records)) {
  for (const tuning::Record& r : *records_)
    if (r.workload_key == workload_key) pool_.push_back(&r);
  if (pool_.empty())
    for (const tuning::Record& r : *records_) pool_.push_back(&r);
  if (pool_.empty()) fail("the records to simulate measurements from are empty");
}

std::vector<runtime::MeasureResult> SimulatedMeasurer::measure(const std::vector<schedule::State>& states) {
  // A batch builds in parallel, then runs one candidate after another.
  double build = 0, run = 0;
  std::vector<runtime::MeasureResult> results;
  for (const schedule::State& s : states) {
    const tuning::Record& r = *pool_[stable_hash(s.canonical_string()) % pool_.size()];
    results.push_back(r.result);
    build = std::max(build, r.result.build_seconds);
    run += r.result.run_seconds;
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(build + run));
  stats_.build_seconds += build;
  stats_.run_seconds += run;
  return results;
}

}  // namespace bcd::broker
