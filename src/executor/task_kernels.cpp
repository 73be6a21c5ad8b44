#include "executor/task_kernels.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>

#include "lower/lower.h"
#include "runtime/measure.h"
#include "search/default_program.h"
#include "search/target.h"
#include "support/error.h"

namespace bcd::executor {

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The kernel name that tuning uses for measured candidates ("candidate",
// tuning/task_measurer.cpp), so that the source text, hence the compile cache's key,
// is the same: a network built right after tuning compiles no tuned kernel again.
// One task per translation unit also keeps a cache hit per task when a later tuning
// round changes only some of them. Default programs (search/cpu_default_schedule.h,
// gpu_default_schedule.h) are named "default_kernel".
constexpr const char* kTunedKernelName = "candidate";
constexpr const char* kDefaultKernelName = "default_kernel";

// The program of `task` under `state` (nullopt: the default program), as the
// builder takes it.
runtime::BuildInput program_of(const graph::Task& task, std::optional<schedule::State> state,
                               const TaskKernelsOptions& options, size_t index) {
  const Target& target = options.target;
  const std::string name = options.kernel_prefix.empty() ? (state ? kTunedKernelName : kDefaultKernelName)
                                                         : options.kernel_prefix + std::to_string(index);
  auto lowered = [&] {
    return state ? search::lower_for_target(*state, name, target) : search::default_program(*task.dag, name, target);
  };
  try {
    runtime::BuildInput input = runtime::build_input(lowered(), target.kind_name());
    input.object_file = options.object_files;
    return input;
  } catch (const Error& e) {
    fail("task {} ({} schedule) cannot be lowered: {}", task.name, state ? "recorded" : "default", e.what());
  }
}

}  // namespace

int TaskKernels::tuned_count() const {
  int n = 0;
  for (const TaskKernel& k : kernels) n += k.tuned;
  return n;
}

TaskKernels build_task_kernels(const std::vector<graph::Task>& tasks, const std::vector<tuning::Record>& records,
                               const TaskKernelsOptions& options) {
  search::require_device(options.target);
  const bool gpu = options.target.is_gpu();
  TaskKernels out;
  if (gpu) out.cuda_context = std::make_shared<runtime::CudaContext>(0);
  auto start = std::chrono::steady_clock::now();
  std::vector<runtime::BuildInput> sources;
  for (const graph::Task& task : tasks) {
    TaskKernel& k = out.kernels.emplace_back();
    k.name = task.name;
    k.workload_key = task.workload_key;
    k.weight = task.weight;
    std::optional<schedule::State> state;
    try {
      state = tuning::apply_best(*task.dag, records, &options.target);
    } catch (const Error& e) {
      // A damaged or foreign record costs its task the tuning, not the network.
      out.warnings.push_back(fmt::format("task {}: {}; it runs the default schedule", task.name, e.what()));
    }
    k.tuned = state.has_value();
    if (k.tuned) k.record_seconds = tuning::best_record(records, task.workload_key, &options.target)->cost();
    const bool warned = !out.warnings.empty() && out.warnings.back().starts_with("task " + task.name + ":");
    if (const tuning::Record* other = k.tuned || warned ? nullptr : tuning::best_record(records, task.workload_key))
      out.warnings.push_back(fmt::format("task {}: its records were measured on another target ({}); it runs the "
                                         "default schedule",
                                         task.name, other->target));
    sources.push_back(program_of(task, std::move(state), options, out.kernels.size() - 1));
  }
  out.lower_seconds = since(start);

  start = std::chrono::steady_clock::now();
  runtime::BuilderOptions builder;
  builder.jobs = options.jobs;
  builder.timeout_seconds = 300;  // whole default programs of big layers, on a busy machine
  std::vector<runtime::BuildResult> built = runtime::build_all(sources, builder);
  // A recorded schedule that does not compile here (a compiler slower or stricter
  // than the one it was tuned with) costs its task the tuning, not the network.
  std::vector<size_t> fallen;
  std::vector<runtime::BuildInput> defaults;
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (built[i].error == runtime::MeasureError::None || !out.kernels[i].tuned) continue;
    out.warnings.push_back(fmt::format("task {}: its recorded schedule does not compile ({}: {}); it runs the "
                                       "default schedule",
                                       tasks[i].name, runtime::measure_error_name(built[i].error),
                                       built[i].error_message));
    out.kernels[i].tuned = false;
    out.kernels[i].record_seconds = 0;
    sources[i] = program_of(tasks[i], std::nullopt, options, i);
    fallen.push_back(i);
    defaults.push_back(sources[i]);
  }
  if (!defaults.empty()) {
    std::vector<runtime::BuildResult> rebuilt = runtime::build_all(defaults, builder);
    for (size_t j = 0; j < fallen.size(); ++j) built[fallen[j]] = std::move(rebuilt[j]);
  }
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (built[i].error != runtime::MeasureError::None)
      fail("task {} does not compile ({}): {}", tasks[i].name, runtime::measure_error_name(built[i].error),
           built[i].error_message);
    out.kernels[i].source = std::move(sources[i].source);
    out.kernels[i].function = sources[i].kernel_name;
    out.kernels[i].scratch = sources[i].scratch;
    if (options.object_files) {
      out.kernels[i].object_path = built[i].library_path;
      for (const runtime::InputPack& p : sources[i].packs)
        out.kernels[i].packs.push_back({.input = p.input, .function = p.function});
    } else if (gpu)
      out.kernels[i].cuda_kernel = std::make_shared<runtime::CudaKernel>(built[i].library_path, built[i].cuda_program);
    else {
      runtime::Module module = runtime::Module::load(built[i].library_path);
      out.kernels[i].kernel = module.get(sources[i].kernel_name);
      for (const runtime::InputPack& p : sources[i].packs)
        out.kernels[i].packs.push_back({p.input, module.get(p.function), p.function});
    }
  }
  out.compile_seconds = since(start);
  return out;
}

}  // namespace bcd::executor
