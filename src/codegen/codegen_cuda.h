// CUDA code generation: a loop program becomes CUDA C++ for NVRTC. Each top-level
// statement of a function (one root stage's loop nest) is one kernel; the kernels
// of a function run in order, each over a grid given by its blockIdx-bound loops
// and a block given by its threadIdx-bound loops.
//
// The source starts with a header the CUDA runtime parses, one line per launch in
// launch order, then one per intermediate buffer the function needs:
//   // bcd-launch <func> <kernel> <gx> <gy> <gz> <bx> <by> <bz>
//   // bcd-buffer <func> <name> <number of floats>
// <func> is the function's name as a C identifier. Every kernel of a function takes
// the function's params in order (inputs then outputs), then its intermediate
// buffers in bcd-buffer order, all `float*`.
#pragma once
#include <string>
#include <vector>

#include "lower/loop_ir.h"

namespace bcd::codegen {

// Fails (bcd::Error, one line naming the loop or buffer) on what a GPU cannot run as
// written: CPU-parallel loops, blocks over 1024 threads, grids with two different
// extents bound to one block index, barriers under thread-dependent conditions, and
// thread-bound loops that accumulate other than as a recognised cross-thread
// reduction. Needs no GPU: it never calls CUDA.
std::string codegen_cuda(const std::vector<lower::LoweredFunc>& funcs);

}  // namespace bcd::codegen
