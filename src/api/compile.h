// The library's entry point for deployment: compile a network, with the best
// schedules of a tuning run's records, into a package (package/package_writer.h)
// that applications load with the bcd runtime (include/bcd/runtime.h).
#pragma once
#include <string>
#include <vector>

#include "api/tune_config.h"
#include "package/package_writer.h"
#include "tuning/records.h"

namespace bcd::api {

struct CompileConfig {
  ModelSpec model;
  std::string records;          // a records file or run directory; "": default schedules only
  std::string target = "llvm";  // a target string
  std::string output = "model.so";
  int jobs = 0;                 // parallel compiles; 0 = number of cores
};

// Fails with one line on a bad model, records file or target, or a task that does
// not compile; a task whose records cannot be used runs its default schedule and
// is named in the summary's warnings.
package::PackageSummary compile_network(const CompileConfig& config);

// The records of `path` (a records file, or a tuning run's directory for its
// records.json) for building a network: fails when there is none (a wrong path
// would silently give default schedules); a torn last line is skipped and named in
// `warnings`.
std::vector<tuning::Record> load_records_file(const std::string& path, std::vector<std::string>* warnings);

}  // namespace bcd::api
