// A tuning run's directory, laid out like the artifact's
// `log_<strategy>/<model>/<idx>/`: the records log, the per-round TSV and a small
// JSON file describing the run (so that resume can refuse a mismatched run and
// compare can label its curves) side by side.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace bcd::tuning {

struct RunDir {
  std::string path;
  std::string records() const { return path + "/records.json"; }
  std::string tsv() const { return path + "/tuning.tsv"; }
  std::string info() const { return path + "/run.json"; }
};

// `log_<strategy>/<model>/<idx>` under `root` with the smallest unused idx, or with
// the largest existing one when `latest` is set (what --resume continues). A model
// given as a path is named by its file stem.
std::string default_run_dir(const std::string& root, const std::string& strategy, const std::string& model,
                            bool latest);

// Holds `<dir>/.lock` (an exclusive flock) while a tuning run writes into `dir`
// (created if missing): a second tuner into the same directory fails with one
// line naming the holder's pid instead of spending the budget twice into
// interleaved files. The kernel drops the lock when the holder dies, even by
// kill -9, so a crashed run never leaves a directory locked.
class RunDirLock {
 public:
  explicit RunDirLock(const std::string& dir);
  ~RunDirLock();
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

// The run's description; load fails with a one-line error naming the file when it
// is missing or malformed.
void save_run_info(const RunDir& dir, const nlohmann::json& info);
nlohmann::json load_run_info(const RunDir& dir);
// The same from the file's text, named `what` in errors: a JSON object whose known
// keys hold their types (strings, or integers for seed, num_trials and
// num_measures_per_round), so that readers may take them without a check.
nlohmann::json parse_run_info(const std::string& text, const std::string& what);

// How `bcd compare` names a run: "diffusion-kmeans (seed 3)".
std::string run_label(const nlohmann::json& info);

}  // namespace bcd::tuning
