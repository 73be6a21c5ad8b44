#include "api/tune.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <memory>

#include "broker/broker_session.h"
#include "costmodel/cost_model.h"
#include "diffusion/presets.h"
#include "graph/tasks.h"
#include "ops/registry.h"
#include "search/target.h"
#include "support/error.h"
#include "tuning/network_tasks.h"
#include "tuning/run_dir.h"

namespace bcd::api {

namespace {

// Where a run keeps its records, TSV and description.
struct RunFiles {
  std::string dir;      // "" with a records file alone
  std::string records;
  std::string tsv;      // "" when none is written
  std::string info;     // "" when none is written
};

RunFiles run_files(const TuneConfig& c, const std::string& strategy, const std::string& name) {
  if (!c.records_file.empty()) return {"", c.records_file, "", ""};
  tuning::RunDir dir{c.log_dir.empty() ? tuning::default_run_dir(c.log_root, strategy, name, c.resume) : c.log_dir};
  return {dir.path, dir.records(), dir.tsv(), dir.info()};
}

// The settings that make two runs the same run: resume refuses to mix them. In
// order of importance, so that a refusal names the difference that matters.
const char* const kIdentityKeys[] = {"model",        "operator",   "search_space", "target",
                                     "strategy",     "group_type", "seed",         "cost_model",
                                     "num_measures_per_round",     "include_simple_tasks", "flush_cache",
                                     "cold_activations"};

nlohmann::json identity(const TuneConfig& c, const Target& target, const std::string& strategy) {
  nlohmann::json id = {{"target", target.str()},
                       {"search_space", search_space_name(c.search_space)},
                       {"strategy", strategy},
                       {"seed", c.seed},
                       {"cost_model", c.cost_model},
                       {"num_measures_per_round", c.num_measures_per_round}};
  if (c.search.explore_sketches) id["explore_sketches"] = true;  // for the reader; resume does not compare it
  // Costs timed with cold caches do not compare with warm ones (absent: warm).
  if (c.flush_cache) id["flush_cache"] = true;
  if (c.cold_activations) id["cold_activations"] = true;
  return id;
}

// Locks the run directory for this run, checks a resume against the run's
// description or refuses to start over a run, then writes the description. The
// lock (null with a records file alone) must live as long as the run.
std::unique_ptr<tuning::RunDirLock> claim_run(const RunFiles& files, const TuneConfig& c, nlohmann::json id) {
  if (files.info.empty()) return nullptr;
  tuning::RunDir dir{files.dir};
  auto lock = std::make_unique<tuning::RunDirLock>(dir.path);
  if (c.resume) {
    nlohmann::json before = tuning::load_run_info(dir);
    for (const char* key : kIdentityKeys) {
      nlohmann::json was = before.value(key, nlohmann::json()), now = id.value(key, nlohmann::json());
      // Runs of earlier versions recorded a bare target kind and no search space:
      // they searched bcd's space on this kind of target.
      if (std::string(key) == "target" && was.is_string() && now.is_string() &&
          was.get<std::string>().find(' ') == std::string::npos &&
          Target::parse(was.get<std::string>()).kind == Target::parse(now.get<std::string>()).kind)
        continue;
      if (std::string(key) == "search_space" && was.is_null() && now == "bcd") continue;
      if (std::string(key) == "flush_cache" || std::string(key) == "cold_activations") {  // written only when true
        if (was.is_null()) was = false;
        if (now.is_null()) now = false;
      }
      if (was != now) fail("--resume: {} was tuned with {}={}, not {}", dir.path, key, was.dump(), now.dump());
    }
  } else if (std::filesystem::exists(files.records) && std::filesystem::file_size(files.records) > 0) {
    fail("{} already holds a tuning run; pass --resume to continue it or another --log-dir", dir.path);
  }
  id["num_trials"] = c.num_trials;
  tuning::save_run_info(dir, id);
  return lock;
}

void warn(TuneObserver* observer, const std::string& line) {
  if (observer) observer->on_warning(line);
}

// Everything after the tasks are made: the log, resume, the strategy, the result.
TuneResult run(std::vector<tuning::ScheduledTask> tasks, const RunFiles& files, const TuneConfig& c,
               TuneStart start, int budget, TuneObserver* observer) {
  std::vector<tuning::Record> previous;
  double elapsed_offset = 0;
  std::vector<std::string> warnings;
  if (c.resume) {
    previous = tuning::load_records(files.records, &warnings);
    if (!files.tsv.empty()) {
      auto rows = tuning::load_tsv(files.tsv);
      if (!rows.empty()) elapsed_offset = rows.back().elapsed_seconds;
    }
  }
  tuning::RecordWriter records(files.records, &warnings);
  for (const auto& w : warnings) warn(observer, w);
  std::unique_ptr<tuning::TsvWriter> tsv;
  if (!files.tsv.empty()) tsv = std::make_unique<tuning::TsvWriter>(files.tsv);

  tuning::SchedulerOptions so;
  so.num_measures_per_round = c.num_measures_per_round;
  so.early_stopping = c.early_stopping;
  so.time_limit_seconds = c.time_limit;
  so.seed = c.seed;
  tuning::TaskScheduler scheduler(std::move(tasks), so, &records, tsv.get(), elapsed_offset);
  start.tuned_tasks = scheduler.size();
  start.budget = budget;
  start.run_dir = files.dir;
  start.records = files.records;
  start.tsv = files.tsv;
  start.resumed_seconds = elapsed_offset;
  if (c.resume) start.resumed = scheduler.resume(previous, &start.skipped_other_target);
  if (start.skipped_other_target > 0)
    warn(observer, fmt::format("{} records of these workloads were measured on another target than {}; they are "
                               "left out",
                               start.skipped_other_target, start.target.str()));
  if (observer) {
    observer->on_start(start);
    scheduler.set_on_round([&](const tuning::SchedulerRound& r) { observer->on_round(scheduler, r); });
  }

  const int before = scheduler.total_trials();
  if (start.strategy == "diffusion") {
    if (observer) observer->on_message("diffusion: " + diffusion::describe_options(c.diffusion));
    diffusion::tune_with_diffusion(
        scheduler, c.diffusion, budget, [&](const std::string& line) { if (observer) observer->on_message(line); },
        [&](const std::string& line) { warn(observer, line); });
  } else {
    std::vector<int> all(scheduler.size());
    for (int t = 0; t < scheduler.size(); ++t) all[t] = t;
    scheduler.warm_up(all, c.num_trials);
    scheduler.tune(budget);
  }

  if (scheduler.out_of_time() && scheduler.total_trials() < budget && observer)
    observer->on_message(fmt::format("time limit: {:.0f} s of tuning reached after {} of {} trials; the run keeps what "
                                     "it measured (--resume continues it)",
                                     c.time_limit, scheduler.total_trials(), budget));
  TuneResult result;
  result.run_dir = files.dir;
  result.records = files.records;
  result.tsv = files.tsv;
  result.trials = scheduler.total_trials();
  result.measured_now = result.trials - before;
  result.elapsed_seconds = scheduler.elapsed_seconds() - elapsed_offset;
  result.estimated_latency_seconds = scheduler.estimated_latency();
  result.tasks = scheduler.size();
  for (int t = 0; t < scheduler.size(); ++t) {
    result.internal_errors += scheduler.task(t).policy->stats().internal_errors;
    result.tasks_without_valid += !std::isfinite(scheduler.progress(t).best_seconds);
  }
  if (scheduler.size() == 1 && scheduler.task(0).policy->best_throughput() > 0) {
    const auto& policy = *scheduler.task(0).policy;
    result.best_gflops = policy.best_throughput() / 1e9;
    result.best_seconds = policy.task().dag.flop_count() / policy.best_throughput();
  }
  if (observer) observer->on_finish(scheduler, result);
  return result;
}

tuning::NetworkTuningOptions task_options(const TuneConfig& c, const Target& target, TuneObserver* observer) {
  tuning::NetworkTuningOptions o;
  if (!c.broker.empty()) {
    broker::SessionOptions so;
    so.url = c.broker;
    so.broker_timeout = c.broker_timeout;
    so.message = [observer](const std::string& line) {
      if (observer) observer->on_message(line);
    };
    o.measurer_factory = broker::broker_measurer_factory(std::make_shared<broker::BrokerSession>(so, target));
  }
  o.target = target;
  o.search = c.search;
  o.measure = tuning::tuning_measure_options(c.timeout, cache_state(c));
  o.measure.verify_all = c.verify_all;
  o.include_simple_tasks = c.include_simple_tasks;
  o.seed = c.seed;
  return o;
}

}  // namespace

TuneResult tune_network(const TuneConfig& c, TuneObserver* observer) {
  check_config(c);
  Target target = configured_target(c);
  search::require_device(target);
  RunFiles files = run_files(c, c.strategy, c.model.model);
  // A resumed run stays in the layout it was tuned in: "auto" decides by its records
  // (an explicit layout needs none).
  std::vector<tuning::Record> earlier;
  if (c.resume && c.model.layout == "auto" && std::filesystem::exists(files.records))
    earlier = tuning::load_records(files.records);
  const ModelSpec::Loaded loaded = c.model.load_for(target, earlier);
  graph::TaskSet task_set = graph::extract_tasks(loaded.graph());

  std::shared_ptr<costmodel::CostModel> model = costmodel::make_cost_model(c.cost_model, c.seed);
  std::vector<tuning::ScheduledTask> tasks = tuning::make_scheduled_tasks(task_set, model, task_options(c, target, observer));
  if (tasks.empty()) fail("model {} has no task to tune", c.model.model);

  nlohmann::json id = identity(c, target, c.strategy);
  id["model"] = loaded.spec.identity();
  id["include_simple_tasks"] = c.include_simple_tasks;
  if (c.strategy == "diffusion") {
    id["group_type"] = diffusion::group_type_name(c.diffusion.group_type);
    id["diffusion"] = diffusion::describe_options(c.diffusion);  // for the reader; resume compares group_type
  }
  const auto lock = claim_run(files, c, id);

  TuneStart start;
  start.what = c.model.model;
  // The flags as given: with "auto", `bcd run` decides the same from the records.
  start.model_flags = c.model.flags();
  start.strategy = c.strategy;
  start.target = target;
  start.subgraphs = static_cast<int>(task_set.subgraphs.size());
  start.tasks = static_cast<int>(task_set.tasks.size());
  start.trials_per_task = c.num_trials;
  start.measures_per_round = c.num_measures_per_round;
  const int budget = c.num_trials * static_cast<int>(tasks.size());
  return run(std::move(tasks), files, c, std::move(start), budget, observer);
}

TuneResult tune_operator(const OpSpec& op, const TuneConfig& c, TuneObserver* observer) {
  check_config(c);
  ops::OpInstance inst = ops::build_op(op.name, ops::OpParams::parse(op.params));
  Target target = configured_target(c);
  search::require_device(target);
  std::string params = ops::OpParams::parse(op.params).to_string();

  graph::TaskSet one;
  graph::Task task;
  task.name = inst.dag.description();
  task.workload_key = inst.dag.workload_key();
  task.weight = 1;
  task.dag = std::make_shared<ir::ComputeDAG>(inst.dag);
  one.tasks.push_back(task);
  tuning::NetworkTuningOptions options = task_options(c, target, observer);
  options.include_simple_tasks = true;  // the operator asked for is tuned whatever it is
  std::shared_ptr<costmodel::CostModel> model = costmodel::make_cost_model(c.cost_model, c.seed);
  std::vector<tuning::ScheduledTask> tasks = tuning::make_scheduled_tasks(one, model, options);

  RunFiles files = run_files(c, "ansor", op.name);
  nlohmann::json id = identity(c, target, "ansor");
  id["operator"] = {{"name", op.name}, {"params", params}};
  const auto lock = claim_run(files, c, id);

  TuneStart start;
  start.what = params.empty() ? op.name : fmt::format("{} ({})", op.name, params);
  start.strategy = "ansor";
  start.target = target;
  start.subgraphs = 1;
  start.tasks = 1;
  start.trials_per_task = c.num_trials;
  start.measures_per_round = c.num_measures_per_round;
  return run(std::move(tasks), files, c, std::move(start), c.num_trials, observer);
}

}  // namespace bcd::api
