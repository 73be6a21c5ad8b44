// C code generation for CPUs: one translation unit holds any number of kernels.
// Each kernel `NAME(float* restrict a0, ...)` gets a packed entry point
// `int NAME_packed(void** args)` that the runtime calls.
#pragma once
#include <string>
#include <vector>

#include "lower/loop_ir.h"

namespace bcd::codegen {

// Fails (bcd::Error) on constructs a CPU cannot run, such as GPU thread bindings.
std::string codegen_c(const std::vector<lower::LoweredFunc>& funcs);

}  // namespace bcd::codegen
