// Measuring candidate programs: a parallel builder (C source -> shared object, or
// CUDA source -> PTX/cubin, cached by source) and a runner that executes each candidate in a separate worker
// process with a timeout, so that a crashing, hanging or wrong candidate is
// recorded as an error of its kind and tuning goes on.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/kernel_scratch.h"
#include "lower/layout_rewrite.h"
#include "runtime/cuda_launch.h"
#include "runtime/module.h"
#include "support/ndarray.h"

namespace bcd::runtime {

enum class MeasureError : uint8_t {
  None = 0,
  Instantiation,  // the schedule could not be lowered / generated
  Compile,        // the C compiler rejected the source
  Runtime,        // the kernel crashed (signal) or reported an error
  Timeout,        // the kernel did not finish in time
  WrongAnswer,    // the kernel's output differs from the expected output
  Unknown,
};
const char* measure_error_name(MeasureError e);         // "none", "compile", ...
MeasureError measure_error_from_name(const std::string& name);  // fails on unknown

struct BuildInput {
  std::string source;       // C source, or CUDA source with its launch header
  std::string kernel_name;  // llvm: exported as <kernel_name>_packed; cuda: the
                            // function named by the source's bcd-launch lines
  std::string target = "llvm";  // "llvm" (this CPU) or "cuda"
  std::vector<InputPack> packs;  // llvm: inputs the kernel reads rewritten
  bool object_file = false;      // llvm: compile to an object to link (compile_object), not a library
  // llvm: the scratch the kernel takes through <kernel_name>_packed_scratch (none:
  // it has no such entry; codegen/kernel_scratch.h).
  codegen::KernelScratch scratch;
};

// The source of `program` for `target`: its kernel and its packs in one unit.
// Fails (bcd::Error) on what code generation rejects.
BuildInput build_input(const lower::Program& program, const std::string& target);

struct BuildResult {
  std::string library_path;  // shared object, or PTX/cubin for cuda; empty on error
  std::string kernel_name;
  MeasureError error = MeasureError::None;
  std::string error_message;
  double seconds = 0;
  std::string target = "llvm";
  CudaProgram cuda_program;  // cuda: the launch plan read from the source
  std::vector<InputPack> packs;  // from the input
};

struct BuilderOptions {
  int jobs = 0;               // parallel compiles; 0 = number of cores
  double timeout_seconds = 15;  // per compile (Ansor's LocalBuilder default); killed past it
};

// Compiles every input (in parallel, through the on-disk compile caches). CUDA
// sources compile with NVRTC for this machine's GPU, or to portable PTX when there
// is none (compiling needs no device). Fails on an unknown target, and with
// NoSpace when the kernel cache's disk is full (no candidate is to blame then).
std::vector<BuildResult> build_all(const std::vector<BuildInput>& inputs, const BuilderOptions& options = {});

// What a kernel is run on: argument shapes (inputs then outputs), the input data,
// and optionally the expected outputs for verification.
struct RunSpec {
  std::vector<std::vector<int64_t>> input_shapes;
  std::vector<std::vector<int64_t>> output_shapes;
  std::vector<NDArray> inputs;    // filled by the caller (seeded random)
  std::vector<NDArray> expected;  // empty: no verification
  double rtol = 1e-3, atol = 1e-3;
  // Inputs that are a network's constant weights (the task's layout-free inputs):
  // RunnerOptions::evict_activations leaves them in the caches.
  std::vector<int> weight_inputs;
};

struct RunnerOptions {
  int number = 1;
  int repeat = 3;
  double min_repeat_ms = 0;
  double timeout_seconds = 10;  // per candidate, all repeats included
  bool flush_cache = false;     // flush CPU caches (the GPU's L2 for cuda) between repeats
  // CPU only: before every repeat, evict the activations (every input but
  // RunSpec::weight_inputs, and the outputs) from the caches; weights stay warm.
  bool evict_activations = false;
};

struct MeasureResult {
  std::vector<double> costs;  // seconds per run, one per repeat; empty on error
  MeasureError error = MeasureError::None;
  std::string error_message;
  double build_seconds = 0;
  double run_seconds = 0;  // wall time spent running this candidate
  double mean_cost() const;  // +inf on error
};

// Runs built candidates one after another in a worker process (a fresh process,
// never a fork of this one). `verify[i]` says whether candidate i's outputs are
// compared with spec.expected. Build errors pass through as results. CUDA
// candidates run on GPU 0 and are timed with CUDA events; without a usable device
// each gets a Runtime error saying why ("no CUDA device: ...").
std::vector<MeasureResult> run_all(const std::vector<BuildResult>& builds, const RunSpec& spec,
                                   const std::vector<bool>& verify, const RunnerOptions& options = {});

}  // namespace bcd::runtime
