#include <fmt/format.h>

#include <functional>
#include <random>

#include "cli/commands.h"
#include "cli/number_checks.h"
#include "codegen/codegen_c.h"
#include "codegen/codegen_cuda.h"
#include "lower/lower.h"
#include "ops/registry.h"
#include "runtime/cuda_compiler.h"
#include "runtime/cuda_kernel.h"
#include "runtime/measure.h"
#include "runtime/module.h"
#include "runtime/timer.h"
#include "search/default_program.h"
#include "search/target.h"
#include "support/error.h"
#include "api/compile.h"
#include "tuning/records.h"

namespace bcd::cli {

namespace {

struct OpOptions {
  std::string name;
  std::string params;
  int repeat = 5;
  double min_repeat_ms = 100;
  uint64_t seed = 0;
  bool list = false;
  bool show_code = false;
  double tolerance = 1e-3;
  std::string target = "llvm";
  std::string records;  // use the best schedule recorded here instead of the default
};

// Runs the program once on `inputs` into `outputs` and returns a function that
// runs it again, for timing. cuda: through device buffers kept for the timing
// runs; the returned function waits for the GPU.
std::function<void()> run_cuda_program(const std::string& source, const std::string& path,
                                       std::vector<NDArray>& inputs, std::vector<NDArray>& outputs) {
  auto context = std::make_shared<runtime::CudaContext>(0);
  auto kernel = std::make_shared<runtime::CudaKernel>(path, runtime::parse_cuda_program(source, "op_kernel"));
  auto buffers = std::make_shared<std::vector<runtime::DeviceBuffer>>();
  std::vector<runtime::CudaDevicePtr> params;
  for (NDArray& a : inputs) {
    buffers->emplace_back(static_cast<size_t>(a.size()) * sizeof(float));
    buffers->back().upload(a.data());
    params.push_back(buffers->back().ptr());
  }
  for (NDArray& a : outputs) {
    buffers->emplace_back(static_cast<size_t>(a.size()) * sizeof(float));
    params.push_back(buffers->back().ptr());
  }
  kernel->launch(params);
  for (size_t j = 0; j < outputs.size(); ++j) (*buffers)[inputs.size() + j].download(outputs[j].data());
  return [context, kernel, buffers, params] {
    kernel->launch(params);
    context->synchronize();
  };
}

int run_op(const OpOptions& o) {
  if (o.list) {
    for (const auto& def : ops::op_registry()) fmt::print("{:<18} {}\n", def.name, def.help);
    return 0;
  }
  if (o.name.empty()) fail("no operator given (see `bcd op --list`)");
  ops::OpInstance inst = ops::build_op(o.name, ops::OpParams::parse(o.params));
  const ir::ComputeDAG& dag = inst.dag;

  std::mt19937_64 rng(o.seed);
  std::vector<NDArray> inputs = ops::random_inputs(inst, rng);
  std::vector<NDArray> outputs;
  for (const auto& t : dag.outputs()) outputs.emplace_back(t->shape);
  std::vector<float*> args;
  std::vector<const NDArray*> input_ptrs;
  for (auto& a : inputs) {
    args.push_back(a.data());
    input_ptrs.push_back(&a);
  }
  for (auto& a : outputs) args.push_back(a.data());

  const Target target = search::resolve_target(o.target);
  const bool gpu = target.is_gpu();
  std::optional<schedule::State> tuned;
  if (!o.records.empty()) {
    std::vector<std::string> warnings;
    std::vector<tuning::Record> records = api::load_records_file(o.records, &warnings);
    for (const auto& w : warnings) fmt::print(stderr, "warning: {}\n", w);
    tuned = tuning::apply_best(dag, records, &target);
    if (!tuned)
      fail("{} has no successful record of workload {} measured on this target ({})", o.records, dag.workload_key(),
           target.str());
  }
  lower::Program program;
  if (tuned)
    program = search::lower_for_target(*tuned, "op_kernel", target);
  else
    program = search::default_program(dag, "op_kernel", target);
  runtime::BuildInput build = runtime::build_input(program, target.kind_name());
  const std::string& source = build.source;
  if (o.show_code) {
    for (const auto& f : program.funcs()) fmt::print("{}", lower::to_string(f));
    fmt::print("\n{}\n", source);
  }
  std::function<void()> run_again;
  if (gpu) {
    std::string path = runtime::compile_cuda(source, runtime::cuda_build_arch());
    std::string why;
    if (!runtime::cuda_device_available(&why)) {
      if (!o.show_code) fail("target cuda needs a GPU to run {}: {} (--show-code prints the CUDA source)", o.name, why);
      fmt::print("compiled     with NVRTC to {}; not run: {}\n", path, why);
      return 0;
    }
    run_again = run_cuda_program(source, path, inputs, outputs);
  } else {
    runtime::Module module = runtime::Module::from_source(source);
    runtime::Kernel kernel = module.get("op_kernel");
    // Weights the schedule reads rewritten are rewritten once, outside the timing.
    auto rewritten = std::make_shared<std::vector<NDArray>>(runtime::run_packs(module, build.packs, input_ptrs));
    for (size_t i = 0; i < build.packs.size(); ++i) args[build.packs[i].input] = (*rewritten)[i].data();
    kernel.run(args);
    run_again = [kernel, args, rewritten] { kernel.run(args); };
  }

  std::vector<NDArray> expected = inst.reference(input_ptrs);
  ArrayDiff diff;
  bool ok = true;
  for (size_t i = 0; i < outputs.size(); ++i) {
    ArrayDiff d = compare_arrays(outputs[i], expected[i]);
    diff.max_abs = std::max(diff.max_abs, d.max_abs);
    diff.max_rel = std::max(diff.max_rel, d.max_rel);
    ok = ok && d.max_rel <= o.tolerance;
  }
  auto costs = runtime::time_function(run_again,
                                      {.number = 1, .repeat = o.repeat, .min_repeat_ms = o.min_repeat_ms});
  double seconds = runtime::median(costs);
  std::vector<std::string> out_shapes;
  for (const auto& t : dag.outputs()) out_shapes.push_back(shape_string(t->shape));
  std::string given = ops::OpParams::parse(o.params).to_string();
  fmt::print("operator     {} ({})\n", o.name, given.empty() ? "defaults" : given);
  fmt::print("task         {}  key {}  output {}\n", dag.description(), dag.workload_key(),
             fmt::join(out_shapes, " "));
  fmt::print("schedule     {}\n", tuned ? fmt::format("best record of {}", o.records)
                                 : "default (what an untuned network runs)");
  fmt::print("check        max abs error {:.3g}, max rel error {:.3g}: {}\n", diff.max_abs,
             diff.max_rel, ok ? "OK" : "MISMATCH");
  fmt::print("time         {:.4f} ms (median of {})  {:.2f} GFLOP/s  ({:.4g} GFLOP)\n",
             seconds * 1e3, costs.size(), dag.flop_count() / seconds / 1e9, dag.flop_count() / 1e9);
  if (!ok) fail("{} does not match its reference (max rel error {:.3g} > {})", o.name, diff.max_rel,
                o.tolerance);
  return 0;
}

}  // namespace

CommandRunner add_op_command(CLI::App& app) {
  auto options = std::make_shared<OpOptions>();
  CLI::App* cmd = app.add_subcommand("op", "build one operator, check it against its reference, time it");
  cmd->add_option("name", options->name, "operator name (see --list)");
  cmd->add_option("-p,--params", options->params, "parameters, e.g. n=1,c=64,h=56,w=56,o=64,kernel=3");
  cmd->add_option("--repeat", options->repeat, "timing repeats")->check(positive);
  cmd->add_option("--min-repeat-ms", options->min_repeat_ms, "minimum time of one repeat")
      ->check(non_negative);
  cmd->add_option("--seed", options->seed, "seed of the random inputs");
  cmd->add_option("--tolerance", options->tolerance, "largest accepted relative error")
      ->check(positive);
  cmd->add_flag("--list", options->list, "list the operators and their parameters");
  cmd->add_flag("--show-code", options->show_code, "print the loop program and the C or CUDA source");
  cmd->add_option("--target", options->target, "llvm (this CPU) or cuda (an NVIDIA GPU)")->capture_default_str();
  cmd->add_option("--records", options->records,
                  "run the best schedule recorded in this log (e.g. from tune-op) instead of the default");
  return [options] { return run_op(*options); };
}

}  // namespace bcd::cli
