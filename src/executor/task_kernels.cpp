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
// builder takes it; its output a slice of an array of shape `array_shape` when given.
runtime::BuildInput program_of(const graph::Task& task, std::optional<schedule::State> state,
                               const TaskKernelsOptions& options, size_t index,
                               const std::vector<int64_t>& array_shape) {
  const Target& target = options.target;
  const std::string name = options.kernel_prefix.empty() ? (state ? kTunedKernelName : kDefaultKernelName)
                                                         : options.kernel_prefix + std::to_string(index);
  auto lowered = [&] {
    lower::Program program =
        state ? search::lower_for_target(*state, name, target) : search::default_program(*task.dag, name, target);
    program.kernel.output_array_shape = array_shape;
    return program;
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
                               const TaskKernelsOptions& options, const std::vector<SliceWriter>& slice_writers) {
  search::require_device(options.target);
  const bool gpu = options.target.is_gpu();
  BCD_CHECK(!gpu || slice_writers.empty(), "slice writers on target {}", options.target.str());
  TaskKernels out;
  if (gpu) out.cuda_context = std::make_shared<runtime::CudaContext>(0);
  auto start = std::chrono::steady_clock::now();
  // Build i: task i's kernel (its own output array), then slice_writers[i - tasks.size()].
  std::vector<SliceWriter> wanted;
  for (size_t t = 0; t < tasks.size(); ++t) wanted.push_back({.task = static_cast<int>(t)});
  wanted.insert(wanted.end(), slice_writers.begin(), slice_writers.end());
  const size_t builds = wanted.size();

  std::vector<std::optional<schedule::State>> states(tasks.size());
  std::vector<TaskKernel> kernels(builds);
  std::vector<runtime::BuildInput> sources;
  for (size_t t = 0; t < tasks.size(); ++t) {
    const graph::Task& task = tasks[t];
    try {
      states[t] = tuning::apply_best(*task.dag, records, &options.target);
    } catch (const Error& e) {
      // A damaged or foreign record costs its task the tuning, not the network.
      out.warnings.push_back(fmt::format("task {}: {}; it runs the default schedule", task.name, e.what()));
    }
    const bool warned = !out.warnings.empty() && out.warnings.back().starts_with("task " + task.name + ":");
    if (const tuning::Record* other = states[t] || warned ? nullptr : tuning::best_record(records, task.workload_key))
      out.warnings.push_back(fmt::format("task {}: its records were measured on another target ({}); it runs the "
                                         "default schedule",
                                         task.name, other->target));
  }
  for (size_t i = 0; i < builds; ++i) {
    const graph::Task& task = tasks[wanted[i].task];
    TaskKernel& k = kernels[i];
    k.name = task.name;
    k.workload_key = task.workload_key;
    k.weight = task.weight;
    k.tuned = states[wanted[i].task].has_value();
    if (k.tuned) k.record_seconds = tuning::best_record(records, task.workload_key, &options.target)->cost();
    sources.push_back(program_of(task, states[wanted[i].task], options, i, wanted[i].array_shape));
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
  for (size_t i = 0; i < builds; ++i) {
    if (built[i].error == runtime::MeasureError::None || !kernels[i].tuned) continue;
    if (i < tasks.size())
      out.warnings.push_back(fmt::format("task {}: its recorded schedule does not compile ({}: {}); it runs the "
                                         "default schedule",
                                         tasks[i].name, runtime::measure_error_name(built[i].error),
                                         built[i].error_message));
    kernels[i].tuned = false;
    kernels[i].record_seconds = 0;
    sources[i] = program_of(tasks[wanted[i].task], std::nullopt, options, i, wanted[i].array_shape);
    fallen.push_back(i);
    defaults.push_back(sources[i]);
  }
  if (!defaults.empty()) {
    std::vector<runtime::BuildResult> rebuilt = runtime::build_all(defaults, builder);
    for (size_t j = 0; j < fallen.size(); ++j) built[fallen[j]] = std::move(rebuilt[j]);
  }
  for (size_t i = 0; i < builds; ++i) {
    TaskKernel& k = kernels[i];
    if (built[i].error != runtime::MeasureError::None)
      fail("task {} does not compile ({}): {}", k.name, runtime::measure_error_name(built[i].error),
           built[i].error_message);
    k.source = std::move(sources[i].source);
    k.function = sources[i].kernel_name;
    k.scratch = sources[i].scratch;
    if (options.object_files) {
      k.object_path = built[i].library_path;
      for (const runtime::InputPack& p : sources[i].packs) k.packs.push_back({.input = p.input, .function = p.function});
    } else if (gpu)
      k.cuda_kernel = std::make_shared<runtime::CudaKernel>(built[i].library_path, built[i].cuda_program);
    else {
      runtime::Module module = runtime::Module::load(built[i].library_path);
      k.kernel = module.get(sources[i].kernel_name);
      for (const runtime::InputPack& p : sources[i].packs)
        k.packs.push_back({p.input, module.get(p.function), p.function});
    }
  }
  out.kernels.assign(std::make_move_iterator(kernels.begin()), std::make_move_iterator(kernels.begin() + tasks.size()));
  out.slice_writers.assign(std::make_move_iterator(kernels.begin() + tasks.size()),
                           std::make_move_iterator(kernels.end()));
  out.compile_seconds = since(start);
  return out;
}

}  // namespace bcd::executor
