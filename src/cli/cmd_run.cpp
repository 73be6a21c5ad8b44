// `bcd run`: build a whole network from the best records (default schedules for
// tasks without one), verify it against the reference executor, time it end to end
// and report its memory; or run a compiled package the same way.
#include <fmt/format.h>

#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

#include "api/compile.h"
#include "bcd/runtime.hpp"

#include "cli/byte_units.h"
#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/number_checks.h"
#include "cli/tensor_files.h"
#include "executor/network.h"
#include "executor/profile.h"
#include "executor/resident_memory.h"
#include "executor/verify.h"
#include "frontends/zoo.h"
#include "graph/reference_executor.h"
#include "runtime/timer.h"
#include "search/target.h"
#include "support/error.h"
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
  bool profile = false;
  bool no_cuda_graph = false;
  std::vector<std::string> inputs, outputs;  // [NAME=]FILE.npy or FILE.npz
  std::string package;  // run this compiled package instead of building the model
  bool model_given = false;  // --model: with --package, the reference to check against
};

std::vector<TensorSpec> graph_tensors(const graph::Graph& graph, const std::vector<int>& ids) {
  std::vector<TensorSpec> out;
  for (int id : ids) out.push_back({graph.node(id).name, graph.node(id).shape});
  return out;
}

// The CPUs this process may run on, as a list ("0-3,6"), and how many are online:
// the kernels' threads are bounded by the first (OMP_NUM_THREADS may lower it).
std::string usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return "unknown";
  std::string list;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set) || (c > 0 && CPU_ISSET(c - 1, &set))) continue;
    int last = c;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    list += (list.empty() ? "" : ",") + (last == c ? std::to_string(c) : fmt::format("{}-{}", c, last));
  }
  const char* threads = std::getenv("OMP_NUM_THREADS");
  return fmt::format("{} of {} online{}", list, sysconf(_SC_NPROCESSORS_ONLN),
                     threads ? fmt::format(", OMP_NUM_THREADS={}", threads) : "");
}

// A step as the profile names it: its task and the record it runs.
struct ProfiledStep {
  std::string task;
  bool tuned = false;
  double record_seconds = 0;
};

// Each step in execution order: its time inside the network against its record's
// isolated time, and its share; then the time outside the kernels.
void print_profile(const std::vector<ProfiledStep>& steps, const executor::NetworkProfile& p) {
  const double total = p.end_to_end_seconds;
  fmt::print("profile      {:>4}  {:<28} {:<8} {:>11} {:>10} {:>6} {:>6}\n", "step", "task", "schedule", "in network",
             "isolated", "ratio", "share");
  for (size_t s = 0; s < steps.size(); ++s) {
    const ProfiledStep& k = steps[s];
    const double t = p.step_seconds[s];
    fmt::print("             {:>4}  {:<28} {:<8} {:>8.3f} ms {:>10} {:>6} {:>5.1f}%\n", s, k.task,
               k.tuned ? "tuned" : "default", t * 1e3,
               k.tuned ? fmt::format("{:.3f} ms", k.record_seconds * 1e3) : std::string("-"),
               k.tuned && k.record_seconds > 0 ? fmt::format("{:.2f}", t / k.record_seconds) : std::string("-"),
               total > 0 ? 100 * t / total : 0.0);
  }
  const double outside = total - p.steps_seconds();
  fmt::print("             steps {:.3f} ms, end to end {:.3f} ms: {:.3f} ms ({:.1f}%) outside the kernels\n",
             p.steps_seconds() * 1e3, total * 1e3, outside * 1e3, total > 0 ? 100 * outside / total : 0.0);
}

std::vector<ProfiledStep> network_steps(const executor::Network& net) {
  std::vector<ProfiledStep> steps;
  for (int s = 0; s < net.num_steps(); ++s) {
    const executor::TaskKernel& k = net.kernels().kernels[net.step_task(s)];
    steps.push_back({k.name, k.tuned, k.record_seconds});
  }
  return steps;
}

// A package's steps, from its metadata ("step_tasks").
std::vector<ProfiledStep> package_steps(const nlohmann::json& meta) {
  std::vector<ProfiledStep> steps;
  for (const nlohmann::json& s : meta.at("step_tasks"))
    steps.push_back({s.at("task").get<std::string>(), s.at("tuned").get<bool>(), s.at("record_seconds").get<double>()});
  return steps;
}

int run_network(const RunOptions& o) {
  const std::string cpus = usable_cpus();  // before a kernel's OpenMP runtime binds a thread
  Target target = search::resolve_target(o.target);
  search::require_device(target);
  std::vector<std::string> warnings;
  std::vector<tuning::Record> records = api::load_records_file(o.records, &warnings);
  for (const auto& w : warnings) fmt::print(stderr, "bcd: warning: {}\n", w);
  // Verified against the model as written: a layout conversion is checked too.
  const api::ModelSpec::Loaded loaded = o.model.load_for(target, records);
  const graph::Graph& written = loaded.written;
  const graph::Graph& graph = loaded.graph();
  // The user's files are checked before anything is built.
  std::vector<NDArray> inputs = read_inputs(o.inputs, graph_tensors(graph, graph.inputs()), o.seed);
  std::vector<std::string> output_names;
  for (int id : graph.outputs()) output_names.push_back(graph.node(id).name);
  const std::vector<std::string> files = output_files(o.outputs, output_names);

  auto start = std::chrono::steady_clock::now();
  executor::Network net = executor::Network::build(graph, records, {.target = target, .cuda_graph = !o.no_cuda_graph});
  const double build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const executor::TaskKernels& kernels = net.kernels();
  for (const auto& w : kernels.warnings) fmt::print(stderr, "bcd: warning: {}\n", w);
  const int total = static_cast<int>(kernels.kernels.size());
  const int tuned = kernels.tuned_count();
  const std::string in_place =
      net.concats_in_place() ? fmt::format(", {} concatenations done in place", net.concats_in_place()) : "";
  fmt::print("model        {} ({}{} steps{}, target {})\n", o.model.model, loaded.converted ? "in NHWC, " : "",
             net.num_steps(), in_place, o.target);
  if (o.verbose) fmt::print("target       {}\n              {}\n", target.str(), search::describe_target(target));
  if (o.verbose && !target.is_gpu()) fmt::print("cpus         {}\n", cpus);
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
    executor::Verification v = executor::verify_network(net, written, args, o.tolerance);
    ok = v.ok;
    fmt::print("verify       max abs error {:.3g}, max rel error {:.3g} (tolerance {:.3g}, {}): {}\n",
               v.worst.max_abs, v.worst.max_rel, v.tolerance,
               o.inputs.empty() ? fmt::format("seed {}", o.seed) : std::string("--input files"), ok ? "PASS" : "FAIL");
  }
  if (!o.outputs.empty()) write_outputs(files, output_names, net.run(args));
  fmt::print("latency      {:.3f} ms end to end (median of {}){}\n", runtime::median(costs) * 1e3, costs.size(),
             net.on_gpu() ? ", input upload and output download included" : "");
  if (net.on_gpu()) {
    const std::vector<double> device = net.time_on_device(o.repeat);
    fmt::print("device only  {:.3f} ms (median of {}; the {} kernels {}, inputs and outputs on the device)\n",
               runtime::median(device) * 1e3, device.size(), net.num_steps(),
               net.uses_cuda_graph() ? "replayed as one CUDA graph" : "launched one by one");
  }
  if (o.profile) print_profile(network_steps(net), executor::profile_network(net, args, o.repeat));
  fmt::print("peak RSS     {:.1f} MiB building and running ({:.2f}x the weights){}\n", mib(peak_run),
             net.weight_bytes() > 0 ? static_cast<double>(peak_run) / net.weight_bytes() : 0.0,
             o.no_verify ? "" : fmt::format(", {:.1f} MiB with verification", mib(executor::peak_resident_bytes())));
  if (!ok) fail("the network's output does not match the reference (max rel error above {:.3g})", o.tolerance);
  return 0;
}

// `bcd run --package`: the compiled package through the bcd runtime, as an
// application would run it; checked against the reference executor when --model
// names the network it was compiled from.
int run_package(const RunOptions& o) {
  if (!o.records.empty()) fail("--records applies to --model runs; a package holds its schedules already");
  if (o.target != "llvm") fail("--target applies to --model runs; a package runs on the target it was compiled for");
  auto start = std::chrono::steady_clock::now();
  bcd::Model model(o.package);
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<TensorSpec> in, out;
  for (int i = 0; i < model.num_inputs(); ++i) in.push_back({model.input(i).name, model.input(i).shape});
  std::vector<std::string> output_names;
  for (int i = 0; i < model.num_outputs(); ++i) {
    out.push_back({model.output(i).name, model.output(i).shape});
    output_names.push_back(out.back().name);
  }
  std::optional<graph::Graph> graph;
  if (o.model_given) {
    graph = o.model.load_as_written();  // the same function in any layout
    const std::vector<TensorSpec> want = graph_tensors(*graph, graph->inputs());
    for (size_t i = 0; i < want.size() && i < in.size(); ++i)
      if (want[i].shape != in[i].shape)
        fail("--model {} does not match the package: input '{}' has shape {} in the model, {} in the package",
             o.model.model, want[i].name, shape_string(want[i].shape), shape_string(in[i].shape));
    if (want.size() != in.size()) fail("--model {} does not match the package's inputs", o.model.model);
  }
  std::vector<NDArray> inputs = read_inputs(o.inputs, in, o.seed);
  const std::vector<std::string> files = output_files(o.outputs, output_names);
  nlohmann::json meta = nlohmann::json::parse(model.metadata());
  fmt::print("package      {} ({}, target {}, {} steps, {} of {} tasks tuned)\n", o.package,
             meta.value("model", "?"), meta.value("target", "?"), meta.value("steps", 0), meta.value("tuned_tasks", 0),
             meta.value("tasks", 0));
  fmt::print("load         {:.1f} ms; weights {:.1f} MiB, {}\n", load_seconds * 1e3,
             mib(meta.value("weights_bytes", int64_t{0})),
             workspace_text(meta.value("workspace_bytes", int64_t{0}), meta.value("scratch_bytes", int64_t{0}),
                            meta.value("scratch_bytes_per_thread", int64_t{0})));

  std::vector<NDArray> outputs;
  for (const TensorSpec& t : out) outputs.emplace_back(t.shape);
  std::vector<const float*> in_ptrs;
  std::vector<float*> out_ptrs;
  for (const NDArray& a : inputs) in_ptrs.push_back(a.data());
  for (NDArray& a : outputs) out_ptrs.push_back(a.data());
  auto run_once = [&] {
    if (bcd_model_run(model.handle(), in_ptrs.data(), out_ptrs.data()) != BCD_OK) fail("{}", bcd_last_error());
  };
  std::vector<double> costs = runtime::time_function(run_once, {.number = 1, .repeat = o.repeat});
  run_once();  // the outputs of the inputs, whatever the timing runs left behind

  bool ok = true;
  if (o.no_verify || !graph) {
    fmt::print("verify       skipped ({})\n", o.no_verify ? "--no-verify" : "give --model to check against the reference");
  } else {
    std::vector<const NDArray*> args;
    for (const NDArray& a : inputs) args.push_back(&a);
    executor::Verification v = executor::compare_with_reference(outputs, *graph, args, o.tolerance);
    ok = v.ok;
    fmt::print("verify       max abs error {:.3g}, max rel error {:.3g} (tolerance {:.3g}, {}): {}\n", v.worst.max_abs,
               v.worst.max_rel, v.tolerance,
               o.inputs.empty() ? fmt::format("seed {}", o.seed) : std::string("--input files"), ok ? "PASS" : "FAIL");
  }
  if (!o.outputs.empty()) write_outputs(files, output_names, outputs);
  fmt::print("latency      {:.3f} ms end to end (median of {})\n", runtime::median(costs) * 1e3, costs.size());
  if (o.profile) {
    const int steps = bcd_model_num_steps(model.handle());
    auto run = [&](std::vector<double>* seconds) {
      if (seconds) seconds->assign(steps, 0.0);
      if (bcd_model_run_profiled(model.handle(), in_ptrs.data(), out_ptrs.data(), seconds ? seconds->data() : nullptr) !=
          BCD_OK)
        fail("{}", bcd_last_error());
    };
    print_profile(package_steps(meta), executor::profile_runs(steps, run, o.repeat));
  }
  if (!ok) fail("the package's output does not match the reference (max rel error above {:.3g})", o.tolerance);
  return 0;
}

}  // namespace

CommandRunner add_run_command(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "build a model from its best records (default schedules otherwise), verify it, time it end to end");
  add_model_options(cmd, o->model);
  cmd->add_option("--package", o->package, "run this package of `bcd compile` (with --model: checked against it)");
  cmd->add_option("--records", o->records, "records file (JSON lines) of a tuning run");
  cmd->add_option("--target", o->target, "llvm (this CPU) or cuda (an NVIDIA GPU)")->capture_default_str();
  cmd->add_option("--repeat", o->repeat, "timed end-to-end runs")->check(positive)->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the random inputs");
  cmd->add_flag("--no-verify", o->no_verify, "skip the comparison with the reference executor");
  cmd->add_option("--tolerance", o->tolerance, "largest accepted relative error")
      ->check(positive)
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", o->verbose, "list every task with its schedule's origin");
  cmd->add_flag("--no-cuda-graph", o->no_cuda_graph,
                "cuda: launch the kernels one host call each instead of replaying them as one CUDA graph");
  cmd->add_flag("--profile", o->profile,
                "time every step inside the network (median of --repeat runs) against its record, and the time "
                "outside the kernels");
  cmd->add_option("--input", o->inputs,
                  "[NAME=]FILE.npy, or one FILE.npz of every input by name: run on these inputs (float32 or "
                  "float64; every input or none; default: seeded random)");
  cmd->add_option("--output", o->outputs,
                  "[NAME=]FILE.npy, or one FILE.npz: write the network's outputs (float32)");
  CLI::Option* model = cmd->get_option("--model");
  return [o, model] {
    o->model_given = model->count() > 0;
    return o->package.empty() ? run_network(*o) : run_package(*o);
  };
}

}  // namespace bcd::cli
