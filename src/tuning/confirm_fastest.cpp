#include "tuning/confirm_fastest.h"

namespace bcd::tuning {

Confirmation confirm_fastest(std::vector<runtime::MeasureResult>& results, const MeasureAgain& measure_again,
                             int max_retimes) {
  std::vector<bool> confirmed(results.size(), false);
  Confirmation done;
  while (true) {
    int best = -1;
    for (size_t i = 0; i < results.size(); ++i)
      if (results[i].error == runtime::MeasureError::None &&
          (best < 0 || results[i].mean_cost() < results[best].mean_cost()))
        best = static_cast<int>(i);
    if (best < 0 || confirmed[best]) break;
    const bool time_it = done.retimed < max_retimes;
    runtime::MeasureResult again = measure_again(static_cast<size_t>(best), time_it);
    confirmed[best] = true;
    ++done.measured;
    runtime::MeasureResult& r = results[best];
    if (again.error != runtime::MeasureError::None) {
      r.error = again.error;
      r.error_message = again.error_message;
      r.costs.clear();
      continue;
    }
    if (!time_it) continue;
    ++done.retimed;
    if (again.mean_cost() > r.mean_cost()) r.costs = again.costs;
  }
  return done;
}

}  // namespace bcd::tuning
