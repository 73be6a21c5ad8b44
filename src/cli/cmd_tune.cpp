#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/number_checks.h"
#include "costmodel/cost_model.h"
#include "diffusion/diffusion_tuner.h"
#include "graph/tasks.h"
#include "search/target.h"
#include "support/error.h"
#include "tuning/network_tasks.h"
#include "tuning/progress_table.h"
#include "tuning/run_dir.h"
#include "tuning/task_scheduler.h"

namespace bcd::cli {

namespace {

struct TuneOptions {
  ModelOptions model;
  std::string target = "llvm";
  std::string strategy = "ansor";
  std::string group_type = "operator";
  int num_trials = 200;
  int per_round = 64;
  std::string log_dir;
  uint64_t seed = 0;
  bool resume = false;
  std::string cost_model = "xgb";
  int early_stopping = 0;
  bool include_simple = false;
  double timeout = 10;
  bool verbose = false;
  int population = 2048;
  diffusion::DiffusionOptions diffusion;
  std::vector<double> split_rule_weights = {1, 1, 1};
  bool full_singletons = false;
};

// The settings that make two runs the same run: --resume refuses to mix them.
nlohmann::json run_identity(const TuneOptions& o) {
  nlohmann::json j = {{"model", model_identity(o.model)}, {"target", o.target},
                      {"strategy", o.strategy},     {"seed", o.seed},
                      {"cost_model", o.cost_model}, {"num_measures_per_round", o.per_round},
                      {"include_simple_tasks", o.include_simple}};
  if (o.strategy == "diffusion") j["group_type"] = o.group_type;
  return j;
}

int run_tune(const TuneOptions& o) {
  search::require_device(o.target);
  if (o.strategy != "ansor" && o.strategy != "diffusion")
    fail("unknown strategy '{}' (ansor or diffusion)", o.strategy);
  diffusion::DiffusionOptions dopt = o.diffusion;
  dopt.group_type = diffusion::parse_group_type(o.group_type);
  if (o.split_rule_weights.size() != 3) fail("--split-rule-weights takes three numbers: copy-or-snap,scale,random");
  dopt.split_rules = {o.split_rule_weights[0], o.split_rule_weights[1], o.split_rule_weights[2]};
  dopt.reduce_singletons = !o.full_singletons;

  graph::Graph graph = load_model(o.model);
  graph::TaskSet task_set = graph::extract_tasks(graph);

  tuning::RunDir dir{o.log_dir.empty() ? tuning::default_run_dir(".", o.strategy, o.model.model, o.resume) : o.log_dir};
  nlohmann::json identity = run_identity(o);
  if (o.resume) {
    nlohmann::json before = tuning::load_run_info(dir);
    // In order of importance, so the message names the difference that matters.
    for (const char* key : {"model", "target", "strategy", "group_type", "seed", "cost_model",
                            "num_measures_per_round", "include_simple_tasks"}) {
      nlohmann::json was = before.value(key, nlohmann::json()), now = identity.value(key, nlohmann::json());
      if (was != now) fail("--resume: {} was tuned with {}={}, not {}", dir.path, key, was.dump(), now.dump());
    }
  } else if (std::filesystem::exists(dir.records()) && std::filesystem::file_size(dir.records()) > 0) {
    fail("{} already holds a tuning run; pass --resume to continue it or another --log-dir", dir.path);
  }
  nlohmann::json info = identity;
  info["num_trials"] = o.num_trials;
  tuning::save_run_info(dir, info);

  tuning::NetworkTuningOptions nto;
  nto.target = o.target;
  nto.measure = tuning::tuning_measure_options(o.timeout);
  nto.include_simple_tasks = o.include_simple;
  nto.seed = o.seed;
  nto.search.population = o.population;
  std::shared_ptr<costmodel::CostModel> model = costmodel::make_cost_model(o.cost_model, o.seed);
  std::vector<tuning::ScheduledTask> tasks = tuning::make_scheduled_tasks(task_set, model, nto);
  if (tasks.empty()) fail("model {} has no task to tune", o.model.model);

  std::vector<tuning::Record> previous;
  double elapsed_offset = 0;
  if (o.resume) {
    std::vector<std::string> warnings;
    previous = tuning::load_records(dir.records(), &warnings);
    for (const auto& w : warnings) fmt::print(stderr, "bcd: warning: {}\n", w);
    auto rows = tuning::load_tsv(dir.tsv());
    if (!rows.empty()) elapsed_offset = rows.back().elapsed_seconds;
  }
  std::vector<std::string> warnings;
  tuning::RecordWriter records(dir.records(), &warnings);
  for (const auto& w : warnings) fmt::print(stderr, "bcd: warning: {}\n", w);
  tuning::TsvWriter tsv(dir.tsv());

  tuning::SchedulerOptions so;
  so.num_measures_per_round = o.per_round;
  so.early_stopping = o.early_stopping;
  so.seed = o.seed;
  so.target = o.target;
  tuning::TaskScheduler scheduler(std::move(tasks), so, &records, &tsv, elapsed_offset);
  const int budget = o.num_trials * scheduler.size();

  fmt::print("model     {}: {} subgraphs, {} tasks ({} tuned), strategy {}, budget {} trials ({} per task), {} per round\n",
             o.model.model, task_set.subgraphs.size(), task_set.tasks.size(), scheduler.size(), o.strategy, budget,
             o.num_trials, o.per_round);
  // The scheduler gives every task one round before it picks by gradient; a budget
  // that ends before the last task's first round leaves it unmeasured, and the
  // network latency then never gets an estimate.
  if (int n = scheduler.size(); n > 1 && budget <= (n - 1) * o.per_round)
    fmt::print(stderr,
               "bcd: warning: a budget of {} trials ends before each of the {} tasks has had a round of {}: "
               "some tasks stay unmeasured and the network has no latency estimate (use --num-trials {} or more)\n",
               budget, n, o.per_round, ((n - 1) * o.per_round) / n + 1);
  fmt::print("run dir   {}\n", dir.path);
  if (o.verbose) fmt::print("target    {}: {}\n", o.target, search::hardware_for_target(o.target).description);
  if (o.resume) {
    int n = scheduler.resume(previous);
    fmt::print("resumed   {} measured candidates, {:.0f} s of earlier tuning\n", n, elapsed_offset);
  }
  std::fflush(stdout);

  bool table_shown = false;
  scheduler.set_on_round([&](const tuning::SchedulerRound& r) {
    fmt::print("{}\n", tuning::progress_line(scheduler, r, budget));
    // The full table when the first complete estimate exists, then every 20 rounds.
    if (r.estimated_latency_seconds && (!table_shown || (o.verbose && r.round % 20 == 0))) {
      fmt::print("{}", tuning::progress_table(scheduler));
      table_shown = true;
    }
    if (o.verbose) {
      const auto& t = scheduler.task(r.task);
      const auto& s = t.policy->stats();
      const auto& m = t.measurer->stats();
      fmt::print("      task time so far: sample {:.1f}s, evolve {:.1f}s, score {:.1f}s, train {:.1f}s, lower {:.1f}s, "
                 "build {:.1f}s, run {:.1f}s\n",
                 s.sample_seconds, s.evolve_seconds, s.score_seconds, s.train_seconds, m.lower_seconds,
                 m.build_seconds, m.run_seconds);
    }
    std::fflush(stdout);
  });

  if (o.strategy == "ansor") {
    std::vector<int> all(scheduler.size());
    for (int t = 0; t < scheduler.size(); ++t) all[t] = t;
    scheduler.warm_up(all);
    scheduler.tune(budget);
  } else {
    auto report = diffusion::tune_with_diffusion(scheduler, dopt, budget, [](const std::string& line) {
      fmt::print("{}\n", line);
      std::fflush(stdout);
    });
    (void)report;
  }

  fmt::print("{}", tuning::progress_table(scheduler));
  fmt::print("records   {}\ntsv       {}\n", dir.records(), dir.tsv());
  fmt::print("next      bcd run --model {} --records {}\n", o.model.model, dir.records());
  if (!scheduler.estimated_latency()) fail("some task has no valid measurement; see the errors in {}", dir.records());
  return 0;
}

}  // namespace

CommandRunner add_tune_command(CLI::App& app) {
  auto o = std::make_shared<TuneOptions>();
  CLI::App* cmd = app.add_subcommand("tune", "tune every task of a network (task scheduler; ansor or diffusion strategy)");
  add_model_options(cmd, o->model);
  cmd->add_option("--target", o->target, "llvm (this CPU) or cuda (an NVIDIA GPU)")->capture_default_str();
  cmd->add_option("--strategy", o->strategy, "ansor or diffusion")->capture_default_str();
  cmd->add_option("--group-type", o->group_type, "diffusion clusters: operator, sketch or loops (sketch and unit-extent loops)")->capture_default_str();
  cmd->add_option("--num-trials", o->num_trials, "budget per task: the run measures num_trials x tasks candidates")
      ->check(positive)
      ->capture_default_str();
  cmd->add_option("--num-measures-per-round", o->per_round, "candidates measured per round")
      ->check(positive)
      ->capture_default_str();
  cmd->add_option("--log-dir", o->log_dir, "run directory (default: log_<strategy>/<model>/<next idx>)");
  cmd->add_option("--seed", o->seed, "random seed of the search and the task scheduler")->capture_default_str();
  cmd->add_flag("--resume", o->resume, "continue the run in --log-dir (default: the latest) without re-measuring");
  cmd->add_option("--population", o->population, "evolutionary population per round")
      ->check(positive)
      ->capture_default_str();
  cmd->add_option("--cost-model", o->cost_model, "xgb or random")->capture_default_str();
  cmd->add_option("--early-stopping", o->early_stopping, "trials without improvement before a task stops (0: never)")
      ->check(non_negative);
  cmd->add_flag("--include-simple-tasks", o->include_simple, "also tune tasks without a reduction");
  cmd->add_option("--timeout", o->timeout, "seconds before a candidate counts as hung")->check(positive);
  auto& d = o->diffusion;
  cmd->add_option("--top-n", d.top_n, "diffusion: prior States kept per cluster")->check(positive)->capture_default_str();
  cmd->add_option("--max-prior-rounds", d.max_prior_rounds, "diffusion: prior rounds = min(cluster size, this)")
      ->check(positive)
      ->capture_default_str();
  cmd->add_option("--posterior-iterations", d.posterior_iterations, "diffusion: evolutionary iterations of posteriors")
      ->check(non_negative)
      ->capture_default_str();
  cmd->add_option("--posterior-measure-fraction", d.posterior_measure_fraction,
                  "diffusion: share of num_measures_per_round a posterior round measures")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--release-after-rounds", d.release_after_rounds,
                  "diffusion: a posterior (or reduced singleton) that has not improved in this many of its rounds "
                  "drops its prior and searches as Ansor does (0: never, as the artifact)")
      ->check(non_negative)
      ->capture_default_str();
  cmd->add_option("--release-below-rate", d.release_below_rate,
                  "diffusion: a posterior whose best FLOP rate is below this fraction of its representative's "
                  "drops its prior and searches as Ansor does (0: never, as the artifact)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--unroll-copy-rate", d.unroll_copy_rate,
                  "diffusion: share of diffused States that take the prior's auto-unroll depth (1: all, as the "
                  "artifact)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_flag("--prior-per-sketch", d.prior_per_sketch,
                "diffusion: keep the top-n prior States of every sketch the representative measured and let "
                "posteriors search all those sketches (default: the best prior's sketch only, as the artifact)");
  cmd->add_option("--split-rule-weights", o->split_rule_weights,
                  "diffusion: weights of copy-or-snap, scale, random (default 1,1,1)")
      ->delimiter(',');
  cmd->add_flag("--full-singletons", o->full_singletons,
                "diffusion: tune tasks alone in their cluster with Ansor's iterations and measures");
  cmd->add_flag("-v,--verbose", o->verbose, "per-phase times and the full table every 20 rounds");
  return [o] { return run_tune(*o); };
}

}  // namespace bcd::cli
