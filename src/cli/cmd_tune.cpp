// `bcd tune`: flags onto api::TuneConfig, api::tune_network, a printer.
#include <fmt/format.h>

#include "api/tune.h"
#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/number_checks.h"
#include "cli/tune_flags.h"
#include "cli/tune_printer.h"
#include "support/error.h"

namespace bcd::cli {

namespace {

struct TuneCommand {
  api::TuneConfig config;
  std::string group_type = "operator";
  std::vector<double> split_rule_weights = {1, 1, 1};
  bool full_singletons = false;
  std::unique_ptr<TuneFlags> flags;
};

int run_tune(TuneCommand& cmd) {
  api::TuneConfig& c = cmd.config;
  cmd.flags->finish(c);
  c.diffusion.group_type = diffusion::parse_group_type(cmd.group_type);
  if (cmd.split_rule_weights.size() != 3)
    fail("--split-rule-weights takes three numbers: copy-or-snap,scale,random");
  c.diffusion.split_rules = {cmd.split_rule_weights[0], cmd.split_rule_weights[1], cmd.split_rule_weights[2]};
  c.diffusion.reduce_singletons = !cmd.full_singletons;
  NetworkPrinter printer(cmd.flags->verbose);
  api::TuneResult r = api::tune_network(c, &printer);
  if (!r.estimated_latency_seconds) fail("some task has no valid measurement; see the errors in {}", r.records);
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
  auto& d = c.diffusion;
  cmd->add_option("--group-type", o->group_type,
                  "diffusion clusters: operator, sketch or loops (sketch and unit-extent loops)")
      ->capture_default_str();
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
  return [o] { return run_tune(*o); };
}

}  // namespace bcd::cli
