#include "api/compile.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "search/target.h"
#include "support/error.h"
#include "support/hash.h"
#include "tuning/run_dir.h"

namespace bcd::api {

namespace {

std::string file_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) fail("cannot read {}", path);
  return stable_hash_hex(bytes.str());
}

bool is_onnx(const std::string& model) { return model.size() > 5 && model.ends_with(".onnx"); }

}  // namespace

std::vector<tuning::Record> load_records_file(const std::string& path, std::vector<std::string>* warnings) {
  if (path.empty()) return {};
  // A run directory stands for its records.
  const tuning::RunDir run{path};
  if (std::filesystem::is_directory(path)) {
    if (!std::filesystem::is_regular_file(run.records()))
      fail("'{}' is a folder without a records.json: give a records file or a tuning run's directory", path);
    return tuning::load_records(run.records(), warnings);
  }
  // load_records treats a missing file as an empty log (right for a tuning run that
  // has not started); here a wrong path would silently give default schedules.
  if (!std::filesystem::exists(path)) fail("records file '{}' does not exist", path);
  return tuning::load_records(path, warnings);
}

package::PackageSummary compile_network(const CompileConfig& config) {
  if (config.output.empty()) fail("no output file for the package");
  if (config.jobs < 0) fail("the number of compile jobs cannot be negative ({})", config.jobs);
  Target target = search::resolve_target(config.target);
  std::vector<std::string> warnings;
  std::vector<tuning::Record> records = load_records_file(config.records, &warnings);
  const ModelSpec::Loaded loaded = config.model.load_for(target, records);
  package::PackageOptions options{
      .target = target,
      .jobs = config.jobs,
      .model = config.model.model,
      .model_hash = is_onnx(config.model.model) ? file_hash(config.model.model)
                                                : stable_hash_hex(loaded.spec.identity().dump()),
      .records_hash = config.records.empty() ? ""
                      : file_hash(std::filesystem::is_directory(config.records)
                                      ? tuning::RunDir{config.records}.records()
                                      : config.records),
  };
  package::PackageSummary summary = package::write_package(loaded.graph(), records, config.output, options);
  summary.warnings.insert(summary.warnings.begin(), warnings.begin(), warnings.end());
  return summary;
}

}  // namespace bcd::api
