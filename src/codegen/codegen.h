// Source code for a target: C for "llvm" (this CPU), CUDA for "cuda".
#pragma once
#include <string>
#include <vector>

#include "lower/loop_ir.h"

namespace bcd::codegen {

// Fails (one line) on an unknown target or what the target's generator rejects.
std::string codegen_for_target(const std::string& target, const std::vector<lower::LoweredFunc>& funcs);

}  // namespace bcd::codegen
