// The compiled program of every task of a network: the schedule of its best record
// when the records have one, else the target's default schedule. Each task is
// lowered and compiled once, however many subgraphs of the network share it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "graph/tasks.h"
#include "runtime/cuda_kernel.h"
#include "runtime/module.h"
#include "tuning/records.h"

namespace bcd::executor {

struct TaskKernel {
  std::string name;          // the task's name ("conv2d_add_relu_1")
  std::string workload_key;
  int weight = 0;            // subgraphs that run this kernel
  bool tuned = false;        // from a record; false: default schedule
  double record_seconds = 0; // tuned only: the best record's mean measured cost
  std::string source;        // the generated C or CUDA (one task per translation unit)
  std::string function;      // llvm: the kernel's exported name, less "_packed"
  std::string object_path;   // TaskKernelsOptions::object_files: the compiled object
  codegen::KernelScratch scratch;  // llvm: what <function>_packed_scratch takes
  // Arguments: the task DAG's inputs, then its output. llvm: `kernel`; cuda:
  // `cuda_kernel`, loaded in TaskKernels::cuda_context.
  runtime::Kernel kernel;
  std::shared_ptr<runtime::CudaKernel> cuda_kernel;
  // llvm: the inputs `kernel` reads in a rewritten layout (lower/layout_rewrite.h),
  // each with the kernel that makes it from the original input.
  struct Pack {
    int input = 0;
    runtime::Kernel kernel;  // not loaded with object_files
    std::string function;    // exported name, less "_packed"
  };
  std::vector<Pack> packs;
};

struct TaskKernelsOptions {
  Target target = Target::cpu();
  int jobs = 0;  // parallel compiles; 0 = number of cores
  // llvm: kernel i is named <kernel_prefix><i> (and its packs after it), so that all
  // of them link into one library; "" names them as tuning does, so that a network
  // built after tuning hits the compile cache.
  std::string kernel_prefix;
  // llvm: compile each kernel to an object (TaskKernel::object_path) and load
  // nothing, for linking into a package.
  bool object_files = false;
};

// A second kernel of task `task`, whose output is a slice of an array of shape
// `array_shape` (lower::LoweredFunc::output_array_shape): the same schedule, writing
// with the larger array's strides.
struct SliceWriter {
  int task = -1;
  std::vector<int64_t> array_shape;
  bool operator==(const SliceWriter&) const = default;
};

struct TaskKernels {
  std::vector<TaskKernel> kernels;  // in task order
  std::vector<TaskKernel> slice_writers;  // in the order asked for
  std::shared_ptr<runtime::CudaContext> cuda_context;  // cuda: where the kernels live
  double lower_seconds = 0;         // apply-best, lowering and code generation
  double compile_seconds = 0;       // compiling (cache hits are nearly free) and loading
  // One line per task whose recorded schedule did not compile and that runs its
  // default schedule instead.
  std::vector<std::string> warnings;
  int tuned_count() const;
  // The kernel a step runs: its task's, or slice writer `slice_writer` (>= 0).
  const TaskKernel& kernel(int task, int slice_writer) const {
    return slice_writer < 0 ? kernels.at(task) : slice_writers.at(slice_writer);
  }
};

// Fails (one line, naming the task) when a program cannot be lowered or a default
// program does not compile; a best record that does not apply to its task, or a
// recorded schedule that does not compile, falls back to the default one with a
// warning.
// Fails on an unknown target, and on cuda without a GPU. A task without a record gets the default CPU schedule
// (search/cpu_default_schedule.h: inlined, outer loops parallel) on llvm and the
// default GPU schedule (search/gpu_default_schedule.h) on cuda.
// `slice_writers` (llvm only): further kernels, built alike.
TaskKernels build_task_kernels(const std::vector<graph::Task>& tasks, const std::vector<tuning::Record>& records,
                               const TaskKernelsOptions& options = {},
                               const std::vector<SliceWriter>& slice_writers = {});

}  // namespace bcd::executor
