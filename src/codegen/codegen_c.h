// C code generation for CPUs: one translation unit holds any number of kernels.
// Each kernel `NAME(float* restrict a0, ...)` gets a packed entry point
// `int NAME_packed(void** args)` that the runtime calls.
#pragma once
#include <string>
#include <vector>

#include "lower/loop_ir.h"

namespace bcd::codegen {

struct CodegenCOptions {
  // Runs a GPU loop program sequentially on the CPU, for checking GPU schedules
  // where there is no GPU: thread-bound and vthread loops become serial loops,
  // shared buffers become private arrays and barriers disappear. This is sound
  // because lowering makes every thread's fetch of a shared buffer load the whole
  // region the block reads, so one thread at a time computes the same values.
  bool emulate_gpu = false;
  // Short vectorized loops of a length no vector width divides as one statement on
  // a vector of that length (c_vector_statement.h). The environment's
  // BCD_C_VECTOR_STATEMENTS=0 turns them off: the ablation.
  bool vector_statements = true;
};

// Fails (bcd::Error) on constructs a CPU cannot run, such as GPU thread bindings
// (unless options.emulate_gpu).
std::string codegen_c(const std::vector<lower::LoweredFunc>& funcs, const CodegenCOptions& options = {});

}  // namespace bcd::codegen
