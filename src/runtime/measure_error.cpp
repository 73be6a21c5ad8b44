// The measurement error kinds' names (as records hold them) and a result's mean
// cost: what reading and writing records needs of measurement, apart from the
// builder and the runner.
#include <limits>
#include <numeric>

#include "runtime/measure.h"
#include "support/error.h"

namespace bcd::runtime {

namespace {

constexpr std::pair<MeasureError, const char*> kErrorNames[] = {
    {MeasureError::None, "none"},
    {MeasureError::Instantiation, "instantiation"},
    {MeasureError::Compile, "compile"},
    {MeasureError::Runtime, "runtime"},
    {MeasureError::Timeout, "timeout"},
    {MeasureError::WrongAnswer, "wrong_answer"},
    {MeasureError::Unknown, "unknown"},
};

}  // namespace

const char* measure_error_name(MeasureError e) {
  for (const auto& [error, name] : kErrorNames)
    if (error == e) return name;
  return "unknown";
}

MeasureError measure_error_from_name(const std::string& name) {
  for (const auto& [error, n] : kErrorNames)
    if (name == n) return error;
  fail("unknown measurement error kind '{}'", name);
}

double MeasureResult::mean_cost() const {
  if (error != MeasureError::None || costs.empty()) return std::numeric_limits<double>::infinity();
  return std::accumulate(costs.begin(), costs.end(), 0.0) / static_cast<double>(costs.size());
}

}  // namespace bcd::runtime
