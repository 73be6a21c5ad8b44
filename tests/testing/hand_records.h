// Records made by hand for tests of what reads records logs: a record of workload
// `key` (task `task`, target "llvm") measured at `ms` milliseconds, or, with `ms`
// 0 or less, a runtime error (it used a trial but has no time).
#pragma once
#include <string>

#include "tuning/records.h"

namespace bcd::testutil {

inline tuning::Record hand_record(const std::string& key, const std::string& task, double ms) {
  tuning::Record r;
  r.workload_key = key;
  r.task = task;
  r.target = "llvm";
  if (ms > 0) {
    r.result.costs = {ms * 1e-3};
  } else {
    r.result.error = runtime::MeasureError::Runtime;
    r.result.error_message = "crashed";
  }
  return r;
}

}  // namespace bcd::testutil
