#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/number_checks.h"
#include "costmodel/cost_model.h"
#include "ops/registry.h"
#include "search/search_policy.h"
#include "search/target.h"
#include "support/error.h"
#include "tuning/tune_task.h"

namespace bcd::cli {

namespace {

struct TuneOpOptions {
  std::string name;
  std::string params;
  int trials = 200;
  int per_round = 64;
  std::string log;
  bool resume = false;
  uint64_t seed = 0;
  std::string model = "xgb";
  bool verbose = false;
  bool verify_all = false;
  int population = 2048;
  int iterations = 4;
  double timeout = 10;
  std::string target = "llvm";
};

int run_tune_op(const TuneOpOptions& o) {
  if (o.log.empty()) fail("tune-op needs --log FILE for the records");
  ops::OpInstance inst = ops::build_op(o.name, ops::OpParams::parse(o.params));
  search::require_device(o.target);
  search::TargetHardware hardware = search::hardware_for_target(o.target);
  search::SearchTask task{inst.dag, o.target, hardware.params};

  std::shared_ptr<costmodel::CostModel> model = costmodel::make_cost_model(o.model, o.seed);
  search::SearchOptions so;
  so.population = o.population;
  so.num_iterations = o.iterations;
  search::SearchPolicy policy(task, model, so, o.seed);

  std::vector<std::string> warnings;
  int resumed = 0;
  if (o.resume) {
    auto records = tuning::load_records(o.log, &warnings);
    for (const auto& w : warnings) fmt::print(stderr, "bcd: warning: {}\n", w);
    resumed = tuning::resume_from_records(policy, records, task.target);
  }
  warnings.clear();
  tuning::RecordWriter writer(o.log, &warnings);
  for (const auto& w : warnings) fmt::print(stderr, "bcd: warning: {}\n", w);

  tuning::MeasureOptions mo = tuning::tuning_measure_options(o.timeout);
  mo.verify_all = o.verify_all;
  tuning::TaskMeasurer measurer(task, mo);

  fmt::print("task      {} ({}), key {}, {:.4g} GFLOP, {} sketches, {} cores\n", task.description(), o.name,
             task.workload_key(), task.dag.flop_count() / 1e9, policy.sketches().size(), task.hardware.num_cores);
  if (o.verbose) fmt::print("target    {}: {}\n", o.target, hardware.description);
  if (resumed) fmt::print("resumed   {} measured candidates from {}\n", resumed, o.log);
  fmt::print("{:>5} {:>7} {:>12} {:>12} {:>9} {:>7}\n", "round", "trials", "best (ms)", "best GFLOP/s", "elapsed", "errors");
  std::fflush(stdout);
  tuning::TuneTaskOptions to;
  to.num_trials = o.trials;
  to.num_measures_per_round = o.per_round;
  auto report = tuning::tune_task(policy, measurer, &writer, to, resumed, [&](const tuning::RoundReport& r) {
    fmt::print("{:>5} {:>7} {:>12.4f} {:>12.2f} {:>8.1f}s {:>7}\n", r.round, r.trials, r.best_seconds * 1e3,
               r.best_gflops, r.elapsed_seconds, r.errors_this_round);
    if (o.verbose) {
      const auto& s = policy.stats();
      const auto& m = measurer.stats();
      fmt::print("      time so far: sample {:.1f}s, evolve {:.1f}s, score {:.1f}s ({} states), train {:.1f}s, "
                 "lower {:.1f}s, build {:.1f}s, run {:.1f}s\n",
                 s.sample_seconds, s.evolve_seconds, s.score_seconds, s.states_scored, s.train_seconds,
                 m.lower_seconds, m.build_seconds, m.run_seconds);
    }
    std::fflush(stdout);
  });
  double minutes = report.elapsed_seconds / 60;
  int measured_now = report.trials - resumed;
  fmt::print("done      {} trials ({} this run) in {:.1f}s, {:.0f} trials/min; best {:.4f} ms = {:.2f} GFLOP/s\n",
             report.trials, measured_now, report.elapsed_seconds, minutes > 0 ? measured_now / minutes : 0,
             report.best_seconds * 1e3, report.best_gflops);
  fmt::print("records   {}\n", o.log);
  if (report.best_gflops <= 0) fail("no candidate of {} measured successfully", o.name);
  return 0;
}

}  // namespace

CommandRunner add_tune_op_command(CLI::App& app) {
  auto o = std::make_shared<TuneOpOptions>();
  CLI::App* cmd = app.add_subcommand("tune-op", "auto-schedule one operator (Ansor policy) and record every measurement");
  cmd->add_option("name", o->name, "operator name (see `bcd op --list`)")->required();
  cmd->add_option("-p,--params", o->params, "operator parameters, e.g. n=1,c=64,h=56,w=56,o=64");
  cmd->add_option("--trials", o->trials, "measurement budget")->check(positive);
  cmd->add_option("--num-measures-per-round", o->per_round, "candidates measured per round")->check(positive);
  cmd->add_option("--log", o->log, "records file (JSON lines), appended")->required();
  cmd->add_flag("--resume", o->resume, "continue from the records in --log without re-measuring");
  cmd->add_option("--seed", o->seed, "random seed of the search");
  cmd->add_option("--cost-model", o->model, "xgb (default) or random");
  cmd->add_option("--population", o->population, "evolutionary population")->check(positive);
  cmd->add_option("--iterations", o->iterations, "evolutionary iterations per round")->check(non_negative);
  cmd->add_option("--timeout", o->timeout, "seconds before a candidate counts as hung")->check(positive);
  cmd->add_flag("--verify-all", o->verify_all, "check every candidate's output, not only each round's best");
  cmd->add_flag("-v,--verbose", o->verbose, "the hardware parameters, and a per-phase time breakdown after every round");
  cmd->add_option("--target", o->target, "llvm (this CPU) or cuda (an NVIDIA GPU)")->capture_default_str();
  return [o] { return run_tune_op(*o); };
}

}  // namespace bcd::cli
