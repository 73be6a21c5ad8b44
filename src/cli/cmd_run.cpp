// `bcd run`: build a whole network from the best records (default schedules for
// tasks without one), verify it against the reference executor, time it end to end
// and report its memory.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>

#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/number_checks.h"
#include "executor/network.h"
#include "executor/resident_memory.h"
#include "executor/verify.h"
#include "frontends/zoo.h"
#include "graph/reference_executor.h"
#include "runtime/timer.h"
#include "search/target.h"
#include "support/error.h"
#include "support/npy.h"
#include "tuning/records.h"

namespace bcd::cli {

namespace {

struct RunOptions {
  api::ModelSpec model;
  std::string records;
  std::string target = "llvm";  // a target string (search::resolve_target)
  int repeat = 5;
  uint64_t seed = 0;
  bool no_verify = false;
  double tolerance = executor::kDefaultNetworkTolerance;
  bool verbose = false;
  std::vector<std::string> inputs, outputs;  // [NAME=]FILE.npy
};

// "NAME=FILE" or, where the network has one such tensor, "FILE": the file for each
// of `names`, empty where none is given. Fails on an unknown name, a name given
// twice, or a bare FILE where there are several.
std::vector<std::string> files_by_name(const std::vector<std::string>& specs, const std::vector<std::string>& names,
                                       const char* flag, const char* what) {
  std::vector<std::string> files(names.size());
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  for (const std::string& spec : specs) {
    size_t k = names.size();
    std::string file = spec;
    for (size_t i = 0; i < names.size(); ++i)
      if (spec.rfind(names[i] + "=", 0) == 0) k = i, file = spec.substr(names[i].size() + 1);
    if (k == names.size()) {
      if (names.size() != 1 || (spec.find('=') != std::string::npos && !std::filesystem::exists(spec)))
        fail("{} '{}': name one of the network's {}s as NAME=FILE ({}s: {})", flag, spec, what, what, known);
      k = 0;
    }
    if (!files[k].empty()) fail("{} gives {} '{}' twice", flag, what, names[k]);
    files[k] = file;
  }
  return files;
}

// The network's inputs: read from --input files when given (all of them), else
// seeded random values.
std::vector<NDArray> network_inputs(const graph::Graph& graph, const RunOptions& o) {
  if (o.inputs.empty()) return graph::random_inputs(graph, o.seed);
  std::vector<std::string> names;
  for (int id : graph.inputs()) names.push_back(graph.node(id).name);
  const std::vector<std::string> files = files_by_name(o.inputs, names, "--input", "input");
  std::vector<NDArray> inputs;
  for (size_t i = 0; i < names.size(); ++i) {
    if (files[i].empty()) fail("--input gives no file for input '{}' (inputs: every one or none)", names[i]);
    NDArray a = read_npy(files[i]);
    const auto& want = graph.node(graph.inputs()[i]).shape;
    if (a.shape() != want)
      fail("--input {}: input '{}' has shape {}, the file holds {}", files[i], names[i], shape_string(want),
           shape_string(a.shape()));
    inputs.push_back(std::move(a));
  }
  return inputs;
}

double mib(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

std::vector<tuning::Record> load_records_file(const std::string& path) {
  if (path.empty()) return {};
  // load_records treats a missing file as an empty log (right for a tuning run that
  // has not started); here a wrong path would silently run default schedules.
  if (!std::filesystem::is_regular_file(path)) fail("records file '{}' does not exist", path);
  std::vector<std::string> warnings;
  std::vector<tuning::Record> records = tuning::load_records(path, &warnings);
  for (const auto& w : warnings) fmt::print(stderr, "bcd: warning: {}\n", w);
  return records;
}

int run_network(const RunOptions& o) {
  Target target = search::resolve_target(o.target);
  search::require_device(target);
  std::vector<tuning::Record> records = load_records_file(o.records);
  graph::Graph graph = o.model.load();
  // The user's files are checked before anything is built.
  std::vector<NDArray> inputs = network_inputs(graph, o);
  std::vector<std::string> output_names;
  for (int id : graph.outputs()) output_names.push_back(graph.node(id).name);
  const std::vector<std::string> output_files = files_by_name(o.outputs, output_names, "--output", "output");

  auto start = std::chrono::steady_clock::now();
  executor::Network net = executor::Network::build(graph, records, {.target = target});
  const double build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const executor::TaskKernels& kernels = net.kernels();
  for (const auto& w : kernels.warnings) fmt::print(stderr, "bcd: warning: {}\n", w);
  const int total = static_cast<int>(kernels.kernels.size());
  const int tuned = kernels.tuned_count();
  fmt::print("model        {} ({} subgraphs, target {})\n", o.model.model, net.num_steps(), o.target);
  if (o.verbose) fmt::print("target       {}\n              {}\n", target.str(), search::describe_target(target));
  fmt::print("tasks        {} total: {} tuned from records, {} default schedules{}\n", total, tuned, total - tuned,
             o.records.empty() ? " (no --records)" : "");
  if (o.verbose)
    for (const executor::TaskKernel& k : kernels.kernels)
      fmt::print("  {:<28} weight {:>2}  {}\n", k.name, k.weight,
                 k.tuned ? fmt::format("tuned ({:.4f} ms measured)", k.record_seconds * 1e3) : "default");
  fmt::print("build        {:.2f} s (lowering {:.2f} s, compiling and loading {:.2f} s)\n", build_seconds,
             kernels.lower_seconds, kernels.compile_seconds);
  const auto& plan = net.memory_plan();
  fmt::print("memory       weights {:.1f} MiB; activations {:.2f} MiB in {} buffers (unplanned {:.2f} MiB)\n",
             mib(net.weight_bytes()), mib(plan.planned_bytes), plan.buffer_bytes.size(), mib(plan.unplanned_bytes));

  // Timed before verifying, so that the peak resident memory below is the
  // network's, not the reference executor's.
  std::vector<const NDArray*> args;
  for (const NDArray& a : inputs) args.push_back(&a);
  std::vector<double> costs = executor::time_network(net, args, o.repeat);
  const int64_t peak_run = executor::peak_resident_bytes();

  bool ok = true;
  if (o.no_verify) {
    fmt::print("verify       skipped (--no-verify)\n");
  } else {
    executor::Verification v = executor::verify_network(net, graph, args, o.tolerance);
    ok = v.ok;
    fmt::print("verify       max abs error {:.3g}, max rel error {:.3g} (tolerance {:.3g}, {}): {}\n",
               v.worst.max_abs, v.worst.max_rel, v.tolerance,
               o.inputs.empty() ? fmt::format("seed {}", o.seed) : std::string("--input files"), ok ? "PASS" : "FAIL");
  }
  if (!o.outputs.empty()) {
    std::vector<NDArray> outputs = net.run(args);
    for (size_t i = 0; i < outputs.size(); ++i)
      if (!output_files[i].empty()) {
        write_npy(output_files[i], outputs[i]);
        fmt::print("output       {} {} -> {}\n", output_names[i], shape_string(outputs[i].shape()), output_files[i]);
      }
  }
  fmt::print("latency      {:.3f} ms end to end (median of {}){}\n", runtime::median(costs) * 1e3, costs.size(),
             net.on_gpu() ? ", input upload and output download included" : "");
  fmt::print("peak RSS     {:.1f} MiB building and running ({:.2f}x the weights){}\n", mib(peak_run),
             net.weight_bytes() > 0 ? static_cast<double>(peak_run) / net.weight_bytes() : 0.0,
             o.no_verify ? "" : fmt::format(", {:.1f} MiB with verification", mib(executor::peak_resident_bytes())));
  if (!ok) fail("the network's output does not match the reference (max rel error above {:.3g})", o.tolerance);
  return 0;
}

}  // namespace

CommandRunner add_run_command(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "build a model from its best records (default schedules otherwise), verify it, time it end to end");
  add_model_options(cmd, o->model);
  cmd->add_option("--records", o->records, "records file (JSON lines) of a tuning run");
  cmd->add_option("--target", o->target, "llvm (this CPU) or cuda (an NVIDIA GPU)")->capture_default_str();
  cmd->add_option("--repeat", o->repeat, "timed end-to-end runs")->check(positive)->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the random inputs");
  cmd->add_flag("--no-verify", o->no_verify, "skip the comparison with the reference executor");
  cmd->add_option("--tolerance", o->tolerance, "largest accepted relative error")
      ->check(positive)
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", o->verbose, "list every task with its schedule's origin");
  cmd->add_option("--input", o->inputs,
                  "[NAME=]FILE.npy: run on this input (float32 or float64 .npy; every input or none; default: "
                  "seeded random)");
  cmd->add_option("--output", o->outputs, "[NAME=]FILE.npy: write this output of the network (float32 .npy)");
  return [o] { return run_network(*o); };
}

}  // namespace bcd::cli
