#include "cli/tune_flags.h"

#include "cli/number_checks.h"

namespace bcd::cli {

TuneFlags::TuneFlags(CLI::App* cmd, api::TuneConfig& c) : cmd_(cmd) {
  cmd->add_option("--target", c.target,
                  "llvm (this CPU) or cuda (an NVIDIA GPU), optionally with -key=value options, e.g. "
                  "\"llvm -cores=2\" (see docs/architecture.md)")
      ->capture_default_str();
  cmd->add_option("--search-space", search_space_,
                  "bcd (Ansor's space plus whole-vector inner tiles and the inner-tile reorder on CPUs) or ansor "
                  "(exactly Ansor's)")
      ->capture_default_str();
  cmd->add_option("--layout-rewrite", c.layout_rewrite,
                  "CPU: weights,accumulators (default), weights, accumulators or none");
  cmd->add_option("--num-trials", c.num_trials, "measurement budget (tune: per task, the run measures num_trials x tasks)")
      ->check(positive)
      ->capture_default_str();
  cmd->add_option("--num-measures-per-round", c.num_measures_per_round, "candidates measured per round")
      ->check(positive)
      ->capture_default_str();
  cmd->add_option("--population", c.search.population, "evolutionary population per round")
      ->check(positive)
      ->capture_default_str();
  cmd->add_option("--num-iterations", c.search.num_iterations, "evolutionary iterations per round")
      ->check(non_negative)
      ->capture_default_str();
  cmd->add_flag("--explore-sketches", c.search.explore_sketches,
                "every round measures the best-scored candidate of each sketch first (against a shared cost model "
                "locking a task into one sketch; off in Ansor)");
  cmd->add_option("--cost-model", c.cost_model, "xgb or random")->capture_default_str();
  cmd->add_option("--seed", c.seed, "random seed of the search and the task scheduler")->capture_default_str();
  cmd->add_option("--timeout", c.timeout, "seconds before a candidate counts as hung")->check(positive);
  cmd->add_option("--early-stopping", c.early_stopping, "trials without improvement before a task stops (0: never)")
      ->check(non_negative);
  cmd->add_option("--time-limit", c.time_limit,
                  "seconds of tuning after which no round starts; the run ends with what it measured (0: none)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--verify-all", c.verify_all, "check every candidate's output, not only each round's best");
  cmd->add_flag("--flush-cache", c.flush_cache,
                "time each candidate in 5 single runs after flushing the CPU caches, as inside a network whose "
                "weights do not fit in the cache (default: warm repeats)");
  cmd->add_flag("--cold-activations", c.cold_activations,
                "time each candidate in 10 single runs after evicting its inputs and outputs but the weights from "
                "the CPU caches, as inside a network on a CPU whose cores share no fast cache (default: warm "
                "repeats)");
  cmd->add_option("--log-dir", c.log_dir,
                  "run directory: records.json, tuning.tsv, run.json (default: log_<strategy>/<name>/<next idx>)");
  cmd->add_flag("--resume", c.resume, "continue the run in --log-dir (default: the latest) without re-measuring");
  cmd->add_option("--broker", c.broker,
                  "measure on `bcd worker`s of this machine's hardware through a Redis broker: "
                  "redis://[user:password@]host[:port]");
  cmd->add_option("--broker-timeout", c.broker_timeout,
                  "seconds to wait for a lost broker, or for a worker, before the run stops (resumable)")
      ->check(positive)
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", verbose,
                "the target's parameters, per-phase times, internal errors skipped, the full table every 20 rounds");
}

void TuneFlags::finish(api::TuneConfig& config) const {
  config.search_space = api::parse_search_space(search_space_);
  for (const Deprecated& d : deprecated_)
    if (d.option->count() > 0)
      fmt::print(stderr, "bcd: warning: {} is deprecated; use {} (the old name goes away in the next release)\n",
                 d.old_name, d.new_name);
}

}  // namespace bcd::cli
