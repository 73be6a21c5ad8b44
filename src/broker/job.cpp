#include "broker/job.h"

#include <cmath>

#include "support/json_fields.h"

namespace bcd::broker {

using nlohmann::json;

namespace {

json measure_to_json(const tuning::MeasureOptions& m) {
  return {{"number", m.runner.number},
          {"repeat", m.runner.repeat},
          {"min_repeat_ms", m.runner.min_repeat_ms},
          {"timeout", m.runner.timeout_seconds},
          {"flush_cache", m.runner.flush_cache},
          {"evict_activations", m.runner.evict_activations},
          {"build_timeout", m.builder.timeout_seconds},
          {"verify_best", m.verify_best},
          {"retime_best", m.retime_best},
          {"verify_all", m.verify_all},
          {"input_seed", m.input_seed},
          {"cutoff", m.slowdown_cutoff}};
}

// Settings a worker obeys, so each is bounded: a job must not make a worker spin
// for hours or allocate without limit.
tuning::MeasureOptions measure_from_json(const json& j) {
  if (!j.is_object()) fail("field \"measure\" must be an object");
  FieldReader f(j);
  tuning::MeasureOptions m;
  auto bounded = [](const char* name, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi)) fail("measure setting \"{}\" is {}, outside {}..{}", name, v, lo, hi);
    return v;
  };
  m.runner.number = static_cast<int>(bounded("number", static_cast<double>(f.integer("number")), 1, 1e6));
  m.runner.repeat = static_cast<int>(bounded("repeat", static_cast<double>(f.integer("repeat")), 1, 1000));
  m.runner.min_repeat_ms = bounded("min_repeat_ms", f.number("min_repeat_ms"), 0, 1e4);
  m.runner.timeout_seconds = bounded("timeout", f.number("timeout"), 1e-3, 3600);
  m.runner.flush_cache = f.boolean("flush_cache", false);
  m.runner.evict_activations = f.boolean("evict_activations", false);
  m.builder.timeout_seconds = bounded("build_timeout", f.number("build_timeout"), 1e-3, 3600);
  m.verify_best = f.boolean("verify_best");
  m.retime_best = f.boolean("retime_best", true);
  m.verify_all = f.boolean("verify_all");
  const json& seed = f.required("input_seed");
  if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0))
    fail("field \"input_seed\" must be a non-negative integer");
  m.input_seed = seed.get<uint64_t>();
  m.slowdown_cutoff = bounded("cutoff", f.number("cutoff"), 1, 1e9);
  return m;
}

json object_of(const std::string& text, const char* what) {
  json j = parse_json_text(text);
  if (!j.is_object()) fail("the {} is not a JSON object", what);
  return j;
}

}  // namespace

std::string measure_settings_text(const tuning::MeasureOptions& measure) { return measure_to_json(measure).dump(); }

std::string job_to_json(const Job& job) {
  json j = {{"v", kJobFormatVersion},
            {"bcd", job.bcd_version},
            {"id", job.id},
            {"target", job.target},
            {"key", job.workload_key},
            {"task", job.task},
            {"steps", schedule::history_to_json(job.steps)},
            {"measure", measure_to_json(job.measure)}};
  return j.dump();
}

std::string job_id_of(const std::string& text) {
  try {
    json j = json::parse(text);
    if (j.is_object() && j.contains("id") && j["id"].is_string()) return j["id"].get<std::string>();
  } catch (const json::exception&) {
  }
  return "";
}

Job job_from_json(const std::string& text) {
  json j = object_of(text, "job");
  FieldReader f(j);
  Job job;
  job.id = f.str("id");
  int64_t v = f.integer("v");
  if (v != kJobFormatVersion) fail("job format version {} (this bcd reads version {})", v, kJobFormatVersion);
  job.bcd_version = f.str("bcd");
  job.target = f.str("target");
  job.workload_key = f.str("key");
  if (job.workload_key.empty()) fail("field \"key\" is empty");
  job.task = f.str("task", "");
  job.steps = schedule::history_from_json(f.required("steps"));
  job.measure = measure_from_json(f.required("measure"));
  return job;
}

std::string result_to_json(const JobResult& r) {
  std::vector<double> costs;
  for (double c : r.result.costs)
    if (std::isfinite(c)) costs.push_back(c);
  json j = {{"id", r.id},
            {"worker", r.worker},
            {"costs", costs},
            {"error", runtime::measure_error_name(r.result.error)},
            {"error_msg", r.result.error_message},
            {"build_s", std::isfinite(r.result.build_seconds) ? r.result.build_seconds : 0.0},
            {"run_s", std::isfinite(r.result.run_seconds) ? r.result.run_seconds : 0.0}};
  // Compiler output in messages need not be valid UTF-8.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

JobResult result_from_json(const std::string& text) {
  json j = object_of(text, "result");
  FieldReader f(j);
  JobResult r;
  r.id = f.str("id");
  r.worker = f.str("worker", "");
  const json& costs = f.required("costs");
  if (!costs.is_array()) fail("field \"costs\" must be a list of numbers");
  for (const json& c : costs) {
    if (!c.is_number() || !(c.get<double>() > 0)) fail("field \"costs\" must hold positive numbers");
    r.result.costs.push_back(c.get<double>());
  }
  r.result.error = runtime::measure_error_from_name(f.str("error"));
  r.result.error_message = f.str("error_msg", "");
  r.result.build_seconds = f.number("build_s", 0.0);
  r.result.run_seconds = f.number("run_s", 0.0);
  if (r.result.error == runtime::MeasureError::None && r.result.costs.empty())
    fail("a result without error must have costs");
  return r;
}

}  // namespace bcd::broker
