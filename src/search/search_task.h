// A search task: one subgraph (compute DAG) to schedule for one target. The task
// owns its target (kind, hardware parameters, program-shaping settings): the
// search rules read it, and records of the task carry its string.
#pragma once
#include <string>

#include "ir/compute_dag.h"
#include "target/target.h"

namespace bcd::search {

// This CPU: cores from the OS, vector width from the compiler's target flags.
HardwareParams detect_cpu();

struct SearchTask {
  explicit SearchTask(ir::ComputeDAG d, Target t = Target::cpu()) : dag(std::move(d)), target(std::move(t)) {}
  ir::ComputeDAG dag;
  Target target;
  const HardwareParams& hardware() const { return target.hardware; }
  std::string workload_key() const { return dag.workload_key(); }
  std::string description() const { return dag.description(); }
  bool is_gpu() const { return target.is_gpu(); }
};

}  // namespace bcd::search
