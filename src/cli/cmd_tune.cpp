// `bcd tune`: flags onto api::TuneConfig, api::tune_network, a printer.
#include <fmt/format.h>

#include <functional>

#include "api/tune.h"
#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/number_checks.h"
#include "cli/tune_flags.h"
#include "cli/tune_printer.h"
#include "diffusion/presets.h"
#include "support/error.h"

namespace bcd::cli {

namespace {

struct TuneCommand {
  api::TuneConfig config;
  std::string preset = "default";
  diffusion::DiffusionOptions given;  // what the diffusion flags say; the preset fills the rest
  std::string group_type;
  std::string stage_naming;
  std::vector<double> split_rule_weights;
  bool full_singletons = false;
  CLI::App* cmd = nullptr;
  std::unique_ptr<TuneFlags> flags;
};

// The preset's diffusion options with every diffusion flag given on the command
// line applied over them.
diffusion::DiffusionOptions diffusion_options(const TuneCommand& cmd) {
  using Options = diffusion::DiffusionOptions;
  Options d = diffusion::diffusion_preset(cmd.preset);
  const Options& g = cmd.given;
  const std::vector<std::pair<const char*, std::function<void(Options&)>>> flags = {
      {"--top-n", [&](Options& o) { o.top_n = g.top_n; }},
      {"--max-prior-rounds", [&](Options& o) { o.max_prior_rounds = g.max_prior_rounds; }},
      {"--posterior-iterations", [&](Options& o) { o.posterior_iterations = g.posterior_iterations; }},
      {"--posterior-measure-fraction", [&](Options& o) { o.posterior_measure_fraction = g.posterior_measure_fraction; }},
      {"--release-after-rounds", [&](Options& o) { o.release_after_rounds = g.release_after_rounds; }},
      {"--release-below-rate", [&](Options& o) { o.release_below_rate = g.release_below_rate; }},
      {"--unroll-copy-rate", [&](Options& o) { o.unroll_copy_rate = g.unroll_copy_rate; }},
      {"--prior-per-sketch", [&](Options& o) { o.prior_per_sketch = g.prior_per_sketch; }},
      {"--posterior-open-fraction", [&](Options& o) { o.posterior_open_fraction = g.posterior_open_fraction; }},
      {"--group-type", [&](Options& o) { o.group_type = diffusion::parse_group_type(cmd.group_type); }},
      {"--stage-naming", [&](Options& o) { o.stage_naming = search::parse_stage_naming(cmd.stage_naming); }},
      {"--full-singletons", [&](Options& o) { o.reduce_singletons = !cmd.full_singletons; }},
      {"--posterior-floor", [&](Options& o) { o.posterior_floor = g.posterior_floor; }},
      {"--singleton-floor", [&](Options& o) { o.singleton_floor = g.singleton_floor; }},
      {"--posterior-first-measures", [&](Options& o) { o.posterior_first_measures = g.posterior_first_measures; }},
      {"--split-rule-weights", [&](Options& o) {
         if (cmd.split_rule_weights.size() != 3)
           fail("--split-rule-weights takes three numbers: copy-or-snap,scale,random");
         o.split_rules = {cmd.split_rule_weights[0], cmd.split_rule_weights[1], cmd.split_rule_weights[2]};
       }}};
  for (const auto& [name, apply] : flags)
    if (cmd.cmd->count(name) > 0) apply(d);
  return d;
}

int run_tune(TuneCommand& cmd) {
  api::TuneConfig& c = cmd.config;
  cmd.flags->finish(c);
  c.diffusion = diffusion_options(cmd);
  NetworkPrinter printer(cmd.flags->verbose);
  api::TuneResult r = api::tune_network(c, &printer);
  // A run that spent its budget keeps what it found; only a run that found
  // nothing at all (a broken compiler, every candidate crashing) is a failure.
  if (r.tasks_without_valid == r.tasks) fail("no task has a valid measurement; see the errors in {}", r.records);
  if (r.tasks_without_valid > 0)
    fmt::print(stderr,
               "bcd: warning: {} of {} tasks have no valid measurement yet, so the network has no latency estimate; "
               "see the errors in {}, or continue with --resume and a larger --num-trials\n",
               r.tasks_without_valid, r.tasks, r.records);
  return 0;
}

}  // namespace

CommandRunner add_tune_command(CLI::App& app) {
  auto o = std::make_shared<TuneCommand>();
  api::TuneConfig& c = o->config;
  CLI::App* cmd = app.add_subcommand("tune", "tune every task of a network (task scheduler; ansor or diffusion strategy)");
  add_model_options(cmd, c.model);
  o->flags = std::make_unique<TuneFlags>(cmd, c);
  cmd->add_option("--strategy", c.strategy, "ansor or diffusion")->capture_default_str();
  cmd->add_flag("--include-simple-tasks", c.include_simple_tasks, "also tune tasks without a reduction");
  auto& d = o->given;
  cmd->add_option("--preset", o->preset,
                  "diffusion: default (what measured best) or artifact (the research artifact's settings); the "
                  "flags below change single settings of it")
      ->capture_default_str();
  cmd->add_option("--group-type", o->group_type,
                  "diffusion clusters: operator, sketch or loops (sketch and unit-extent loops); default loops, "
                  "artifact operator");
  cmd->add_option("--stage-naming", o->stage_naming,
                  "diffusion: how sketch signatures name stages: operation, or role (an elementwise output is "
                  "'output', so tasks differing only in their epilogue's operation cluster together); operation in "
                  "both presets");
  cmd->add_option("--top-n", d.top_n, "diffusion: prior States kept per cluster (2)")->check(positive);
  cmd->add_option("--max-prior-rounds", d.max_prior_rounds,
                  "diffusion: prior rounds = min(cluster size, this); default 2, artifact 10")
      ->check(positive);
  cmd->add_option("--posterior-iterations", d.posterior_iterations,
                  "diffusion: evolutionary iterations of posteriors (2)")
      ->check(non_negative);
  cmd->add_option("--posterior-measure-fraction", d.posterior_measure_fraction,
                  "diffusion: share of num_measures_per_round a posterior round measures (0.5)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--release-after-rounds", d.release_after_rounds,
                  "diffusion: a posterior (or reduced singleton) that has not improved in this many of its rounds "
                  "drops its prior and searches as Ansor does (0: never); default 2, artifact 0")
      ->check(non_negative);
  cmd->add_option("--release-below-rate", d.release_below_rate,
                  "diffusion: a posterior whose best FLOP rate is below this fraction of its representative's "
                  "drops its prior and searches as Ansor does (0: never, both presets)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--unroll-copy-rate", d.unroll_copy_rate,
                  "diffusion: share of diffused States that take the prior's auto-unroll depth (1: all, both presets)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--prior-per-sketch,!--no-prior-per-sketch", d.prior_per_sketch,
                "diffusion: keep the top-n prior States of every sketch the representative measured and let "
                "posteriors search all those sketches (default), or only the best prior's sketch (artifact)");
  cmd->add_option("--posterior-open-fraction", d.posterior_open_fraction,
                  "diffusion: share of a posterior's initial population drawn as Ansor draws it, from any of the "
                  "task's sketches, instead of diffused from the priors; default 0.5, artifact 0 (none)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--posterior-floor,!--no-posterior-floor", d.posterior_floor,
                "diffusion: before the gradient scheduler, top every posterior (and reduced singleton) up to "
                "Ansor's warm-up (a full round) with an open round of Ansor's search (off in both presets)");
  cmd->add_flag("--singleton-floor,!--no-singleton-floor", d.singleton_floor,
                "diffusion: the same for reduced singletons only, the tasks alone in their cluster (default on, "
                "artifact off)");
  cmd->add_option("--posterior-first-measures", d.posterior_first_measures,
                  "diffusion: what the first round of each posterior (and reduced singleton) measures, so that "
                  "every task has a measurement sooner (0: a posterior round's); default 8, artifact 0")
      ->check(non_negative);
  cmd->add_option("--split-rule-weights", o->split_rule_weights,
                  "diffusion: weights of copy-or-snap, scale, random (1,1,1)")
      ->delimiter(',');
  cmd->add_flag("--full-singletons", o->full_singletons,
                "diffusion: tune tasks alone in their cluster with Ansor's iterations and measures");
  o->cmd = cmd;
  return [o] { return run_tune(*o); };
}

}  // namespace bcd::cli
