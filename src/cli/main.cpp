// The `bcd` command. Every failure a user can cause ends here as one line on stderr
// and a non-zero exit status.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "cli/openmp_binding.h"
#include "support/error.h"
#include "support/version.h"

int main(int argc, char** argv) {
  bcd::cli::restore_openmp_binding();
  CLI::App app{"bcd: a deep-learning program optimizer (Ansor-style auto-scheduling with "
               "Bayesian Code Diffusion)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("bcd ") + bcd::kVersion);
  std::map<std::string, bcd::cli::CommandRunner> runners;
  runners["op"] = bcd::cli::add_op_command(app);
  runners["tune-op"] = bcd::cli::add_tune_op_command(app);
  runners["tasks"] = bcd::cli::add_tasks_command(app);
  runners["run"] = bcd::cli::add_run_command(app);
  runners["tune"] = bcd::cli::add_tune_command(app);
  runners["compile"] = bcd::cli::add_compile_command(app);
  runners["compare"] = bcd::cli::add_compare_command(app);
  runners["export-onnx"] = bcd::cli::add_export_onnx_command(app);
  runners["worker"] = bcd::cli::add_worker_command(app);
  runners["workers"] = bcd::cli::add_workers_command(app);
  try {
    // CLI11 would say only that a subcommand is required.
    if (argc > 1 && argv[1][0] != '-' && !runners.count(argv[1])) {
      std::string known;
      for (const auto& [name, run] : runners) known += (known.empty() ? "" : ", ") + name;
      bcd::fail("unknown command '{}' (commands: {})", argv[1], known);
    }
    app.parse(argc, argv);
    for (auto* sub : app.get_subcommands()) return runners.at(sub->get_name())();
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    fmt::print(stderr, "bcd: error: {} (see --help)\n", e.what());
    return e.get_exit_code();
  } catch (const bcd::Error& e) {
    fmt::print(stderr, "bcd: error: {}\n", e.what());
    return 1;
  } catch (const bcd::InternalError& e) {
    fmt::print(stderr, "bcd: internal error (a bug in bcd; please report it): {}\n", e.what());
    return 70;
  } catch (const std::exception& e) {
    fmt::print(stderr, "bcd: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
