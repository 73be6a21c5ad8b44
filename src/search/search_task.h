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
};

// This CPU: cores from the OS, vector width from the compiler's target flags.
HardwareParams detect_cpu();

struct SearchTask {
  explicit SearchTask(ir::ComputeDAG d, std::string t = "llvm", HardwareParams hw = {})
      : dag(std::move(d)), target(std::move(t)), hardware(hw) {}
  ir::ComputeDAG dag;
  std::string target;
  HardwareParams hardware;
  std::string workload_key() const { return dag.workload_key(); }
  std::string description() const { return dag.description(); }
};

}  // namespace bcd::search
