// Subcommands of the `bcd` command line: each registers its options on the app and
// returns the function that runs it.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace bcd::cli {

using CommandRunner = std::function<int()>;

// `bcd op NAME --params k=v,...`: build one operator, verify it, time it.
CommandRunner add_op_command(CLI::App& app);
// `bcd tune-op NAME --trials N --log FILE`: auto-schedule one operator.
CommandRunner add_tune_op_command(CLI::App& app);
// `bcd tasks --model M`: the tasks a model is cut into.
CommandRunner add_tasks_command(CLI::App& app);
// `bcd run --model M [--records FILE]`: build a whole network, verify it, time it.
CommandRunner add_run_command(CLI::App& app);
// `bcd compile --model M [--records FILE] -o model.so`: compile a network into a package.
CommandRunner add_compile_command(CLI::App& app);
// `bcd tune --model M --strategy ansor|diffusion ...`: tune a whole network.
CommandRunner add_tune_command(CLI::App& app);
// `bcd compare RUN_A RUN_B`: the artifact's metric between two tuning runs.
CommandRunner add_compare_command(CLI::App& app);
// `bcd export-onnx --model M --out FILE`: write a model as an ONNX file.
CommandRunner add_export_onnx_command(CLI::App& app);

// `bcd worker --broker URL`: measure candidates for tuners on other machines.
CommandRunner add_worker_command(CLI::App& app);
// `bcd workers --broker URL`: the live workers and runs on a broker.
CommandRunner add_workers_command(CLI::App& app);

}  // namespace bcd::cli
