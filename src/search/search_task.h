// A search task: one subgraph (compute DAG) to schedule for one target, with the
// hardware parameters the search rules use.
#pragma once
#include <string>

#include "ir/compute_dag.h"

namespace bcd::search {

struct HardwareParams {
  int num_cores = 1;
  int vector_lanes = 16;          // float32 lanes of the widest vector unit
  int cache_line_bytes = 64;
  int max_innermost_split_factor = 64;
  int max_vectorize_size = 16;    // longest fused loop the vectorize rule creates

  // GPU (target "cuda"); the defaults are an H100-like NVIDIA GPU
  // (default_gpu_hardware). The CPU rules never read these.
  int max_threads_per_block = 1024;
  int max_shared_memory_per_block = 48 * 1024;  // bytes (static shared memory)
  int max_local_memory_per_block = 65536;       // 32-bit registers per block
  int warp_size = 32;
  int num_sms = 132;
  int max_vthread_extent = 8;                   // Ansor: warp_size / 4
};

// This CPU: cores from the OS, vector width from the compiler's target flags.
HardwareParams detect_cpu();

// A modern NVIDIA GPU (H100-like), for when no device can be queried: 1024
// threads and 48 KiB of shared memory per block, 65536 registers, warps of 32,
// 132 SMs, virtual threads up to 8.
HardwareParams default_gpu_hardware();

// Targets whose search uses the GPU rules.
bool is_gpu_target(const std::string& target);

struct SearchTask {
  explicit SearchTask(ir::ComputeDAG d, std::string t = "llvm", HardwareParams hw = {})
      : dag(std::move(d)), target(std::move(t)), hardware(hw) {}
  ir::ComputeDAG dag;
  std::string target;
  HardwareParams hardware;
  std::string workload_key() const { return dag.workload_key(); }
  std::string description() const { return dag.description(); }
  bool is_gpu() const { return is_gpu_target(target); }
};

}  // namespace bcd::search
