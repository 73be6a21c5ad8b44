// The resources a GPU program uses per thread block, read off its lowered loop
// program, and the check that they fit the hardware: the GPU annotation and
// mutation rules reject a sample that breaks a limit and sample again.
#pragma once
#include <string>
#include <vector>

#include "lower/loop_ir.h"
#include "schedule/state.h"
#include "search/search_task.h"

namespace bcd::search {

// One kernel: the loop nest of one root stage.
struct GpuKernelUsage {
  int64_t threads_per_block = 1;       // product of the threadIdx.{x,y,z} extents
  int64_t vthreads = 1;                // product of nested vthread extents
  int64_t shared_bytes = 0;            // shared buffers allocated in the kernel
  int64_t local_words_per_thread = 0;  // local buffers, in 4-byte registers
};

// One entry per kernel. Fails (bcd::Error) where loops bound to the same block or
// thread dimension are nested with different extents: a kernel has one launch
// shape, so the CUDA generator maps both loops to the same index.
std::vector<GpuKernelUsage> gpu_kernel_usage(const lower::LoweredFunc& f);

// The first limit of `hw` that a kernel of `f` breaks, described; empty if none.
std::string gpu_limit_violation(const HardwareParams& hw, const lower::LoweredFunc& f);

// Lowers `state` and fails (bcd::Error) if a kernel breaks a limit of the task's
// hardware.
void check_gpu_limits(const SearchTask& task, const schedule::State& state);

}  // namespace bcd::search
