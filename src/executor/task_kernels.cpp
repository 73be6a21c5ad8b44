#include "executor/task_kernels.h"

#include <chrono>

#include "codegen/codegen.h"
#include "lower/lower.h"
#include "runtime/measure.h"
#include "search/gpu_default_schedule.h"
#include "search/target.h"
#include "support/error.h"

namespace bcd::executor {

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The kernel names that tuning uses for the same programs, so that the source text,
// hence the compile cache's key, is the same: a network built right after tuning
// compiles nothing. Tuning compiles measured candidates as "candidate"
// (tuning/task_measurer.cpp) and the unscheduled program it verifies against as
// "default_kernel" (runtime/run_dag.cpp). One task per translation unit also keeps
// a cache hit per task when a later tuning round changes only some of them.
constexpr const char* kTunedKernelName = "candidate";
constexpr const char* kDefaultKernelName = "default_kernel";

}  // namespace

int TaskKernels::tuned_count() const {
  int n = 0;
  for (const TaskKernel& k : kernels) n += k.tuned;
  return n;
}

TaskKernels build_task_kernels(const std::vector<graph::Task>& tasks, const std::vector<tuning::Record>& records,
                               const TaskKernelsOptions& options) {
  search::require_device(options.target);
  const bool gpu = search::is_gpu_target(options.target);
  TaskKernels out;
  if (gpu) out.cuda_context = std::make_shared<runtime::CudaContext>(0);
  auto start = std::chrono::steady_clock::now();
  std::vector<runtime::BuildInput> sources(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    const graph::Task& task = tasks[i];
    TaskKernel& k = out.kernels.emplace_back();
    k.name = task.name;
    k.workload_key = task.workload_key;
    k.weight = task.weight;
    std::optional<schedule::State> state = tuning::apply_best(*task.dag, records, options.target);
    k.tuned = state.has_value();
    if (k.tuned) k.record_seconds = tuning::best_record(records, task.workload_key, options.target)->cost();
    sources[i].kernel_name = k.tuned ? kTunedKernelName : kDefaultKernelName;
    sources[i].target = options.target;
    try {
      if (!state && gpu) state = search::gpu_default_state(*task.dag);
      lower::LoweredFunc func = state ? lower::lower_state(*state, sources[i].kernel_name)
                                      : lower::lower_default(*task.dag, sources[i].kernel_name);
      sources[i].source = codegen::codegen_for_target(options.target, {func});
    } catch (const Error& e) {
      fail("task {} ({} schedule) cannot be lowered: {}", task.name, k.tuned ? "recorded" : "default", e.what());
    }
  }
  out.lower_seconds = since(start);

  start = std::chrono::steady_clock::now();
  runtime::BuilderOptions builder;
  builder.jobs = options.jobs;
  builder.timeout_seconds = 300;  // whole default programs of big layers, on a busy machine
  std::vector<runtime::BuildResult> built = runtime::build_all(sources, builder);
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (built[i].error != runtime::MeasureError::None)
      fail("task {} does not compile ({}): {}", tasks[i].name, runtime::measure_error_name(built[i].error),
           built[i].error_message);
    out.kernels[i].source = std::move(sources[i].source);
    if (gpu)
      out.kernels[i].cuda_kernel = std::make_shared<runtime::CudaKernel>(built[i].library_path, built[i].cuda_program);
    else
      out.kernels[i].kernel = runtime::Module::load(built[i].library_path).get(sources[i].kernel_name);
  }
  out.compile_seconds = since(start);
  return out;
}

}  // namespace bcd::executor
