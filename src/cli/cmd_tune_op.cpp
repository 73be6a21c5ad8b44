// `bcd tune-op`: flags onto api::TuneConfig, api::tune_operator, a printer.
#include <fmt/format.h>

#include "api/tune.h"
#include "cli/commands.h"
#include "cli/tune_flags.h"
#include "cli/tune_printer.h"
#include "support/error.h"

namespace bcd::cli {

namespace {

struct TuneOpCommand {
  api::OpSpec op;
  api::TuneConfig config;
  std::unique_ptr<TuneFlags> flags;
};

int run_tune_op(TuneOpCommand& cmd) {
  api::TuneConfig& c = cmd.config;
  cmd.flags->finish(c);
  if (!c.records_file.empty() && !c.log_dir.empty()) fail("give --log-dir or the deprecated --log, not both");
  OperatorPrinter printer(cmd.flags->verbose);
  api::TuneResult r = api::tune_operator(cmd.op, c, &printer);
  if (r.best_gflops <= 0) fail("no candidate of {} measured successfully", cmd.op.name);
  return 0;
}

}  // namespace

CommandRunner add_tune_op_command(CLI::App& app) {
  auto o = std::make_shared<TuneOpCommand>();
  api::TuneConfig& c = o->config;
  CLI::App* cmd =
      app.add_subcommand("tune-op", "auto-schedule one operator (Ansor policy) and record every measurement");
  cmd->add_option("name", o->op.name, "operator name (see `bcd op --list`)")->required();
  cmd->add_option("-p,--params", o->op.params, "operator parameters, e.g. n=1,c=64,h=56,w=56,o=64");
  o->flags = std::make_unique<TuneFlags>(cmd, c);
  o->flags->add_deprecated("--trials", "--num-trials", c.num_trials);
  o->flags->add_deprecated("--iterations", "--num-iterations", c.search.num_iterations);
  o->flags->add_deprecated("--log", "--log-dir (records in DIR/records.json)", c.records_file);
  return [o] { return run_tune_op(*o); };
}

}  // namespace bcd::cli
