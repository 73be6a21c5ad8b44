// `bcd compile`: the network, with the best schedules of a tuning run's records,
// as one self-contained library for the bcd runtime (include/bcd/runtime.h).
#include <fmt/format.h>

#include "api/compile.h"
#include "cli/byte_units.h"
#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/number_checks.h"

namespace bcd::cli {

namespace {

int compile(const api::CompileConfig& c) {
  package::PackageSummary s = api::compile_network(c);
  for (const auto& w : s.warnings) fmt::print(stderr, "bcd: warning: {}\n", w);
  fmt::print("package      {} ({:.1f} MiB)\n", c.output, mib(s.file_bytes));
  fmt::print("model        {} ({} steps, target {})\n", c.model.model, s.steps, c.target);
  fmt::print("tasks        {} total: {} tuned from records, {} default schedules{}\n", s.tasks, s.tuned_tasks,
             s.tasks - s.tuned_tasks, c.records.empty() ? " (no --records)" : "");
  fmt::print("memory       weights {:.1f} MiB (embedded); per instance {}\n", mib(s.weight_bytes),
             workspace_text(s.workspace_bytes, s.scratch.shared_bytes, s.scratch.per_thread_bytes));
  fmt::print("time         {:.1f} s compiling kernels, {:.1f} s packing and linking\n", s.compile_seconds,
             s.link_seconds);
  fmt::print("run it       bcd run --package {}   (C, C++, Python: see include/bcd/runtime.h)\n", c.output);
  return 0;
}

}  // namespace

CommandRunner add_compile_command(CLI::App& app) {
  auto c = std::make_shared<api::CompileConfig>();
  CLI::App* cmd = app.add_subcommand(
      "compile", "compile a model and its best records into one self-contained library (a package)");
  add_model_options(cmd, c->model);
  cmd->add_option("--records", c->records, "records file (JSON lines) of a tuning run; default schedules without");
  cmd->add_option("--target", c->target, "llvm (this CPU)")->capture_default_str();
  cmd->add_option("-o,--output", c->output, "the package to write")->capture_default_str();
  cmd->add_option("-j,--jobs", c->jobs, "parallel kernel compiles (default: the number of cores)")->check(positive);
  return [c] { return compile(*c); };
}

}  // namespace bcd::cli
