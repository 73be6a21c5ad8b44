// A measurement job and its result as they travel through the broker. A job holds
// a schedule, never code: the workload (by key; the run's DAG hash holds the DAG),
// the State's steps and the measure settings. The worker regenerates and compiles
// the program itself, and refuses a job of another bcd version or target.
//
// Job (one stream entry, field "job"):
//   {"v":1,"bcd":"0.9.0","id":"3f2a9c01:17","target":"llvm -mcpu=...","key":"9f3c0e1a2b4d5c6e",
//    "task":"conv2d_add_relu","steps":[...],"measure":{"repeat":3,"number":1,"min_repeat_ms":20,
//    "timeout":10,"build_timeout":15,"verify_all":false,"verify_best":true,"retime_best":true,"input_seed":0,
//    "cutoff":50}}
// Result (one stream entry, field "result"):
//   {"id":"3f2a9c01:17","worker":"host-1234-ab12","costs":[1.5e-05],"error":"none","error_msg":"",
//    "build_s":0.21,"run_s":0.003}
#pragma once
#include <string>
#include <vector>

#include "runtime/measure.h"
#include "schedule/transform_step.h"
#include "tuning/measurer.h"

namespace bcd::broker {

inline constexpr int kJobFormatVersion = 1;

struct Job {
  std::string id;
  std::string bcd_version;
  std::string target;  // Target::str() of the run
  std::string workload_key;
  std::string task;    // for messages
  std::vector<schedule::Step> steps;
  tuning::MeasureOptions measure;
};

struct JobResult {
  std::string id;
  std::string worker;
  runtime::MeasureResult result;
};

std::string job_to_json(const Job& job);
// The measure settings as the job writes them: equal settings, equal text.
std::string measure_settings_text(const tuning::MeasureOptions& measure);
// Fails (bcd::Error, one line) on malformed JSON, a missing or mistyped field, an
// unknown step or a format version it does not read. The id is read first, so a
// caller can still answer a job whose rest is malformed (job_id_of).
Job job_from_json(const std::string& text);
// The job's id, or "" when even that cannot be read.
std::string job_id_of(const std::string& text);

std::string result_to_json(const JobResult& result);
JobResult result_from_json(const std::string& text);

}  // namespace bcd::broker
