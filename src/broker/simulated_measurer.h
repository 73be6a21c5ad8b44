// A stand-in measurer for benchmarks of the broker path: it answers each
// candidate with a measurement taken from a real run's records (the same
// workload's when there are any), after sleeping for as long as that measurement
// took to build and run. Many simulated workers fit on a few cores, so the tuner's
// side of scale-out can be measured at 32 workers on a laptop.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tuning/measurer.h"
#include "tuning/records.h"

namespace bcd::broker {

class SimulatedMeasurer : public tuning::Measurer {
 public:
  SimulatedMeasurer(std::shared_ptr<const std::vector<tuning::Record>> records, const std::string& workload_key);
  std::vector<runtime::MeasureResult> measure(const std::vector<schedule::State>& states) override;
  const tuning::MeasureStats& stats() const override { return stats_; }

 private:
  std::vector<const tuning::Record*> pool_;
  std::shared_ptr<const std::vector<tuning::Record>> records_;
  tuning::MeasureStats stats_;
};

}  // namespace bcd::broker
