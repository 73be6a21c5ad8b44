// The program a task runs before (or without) tuning, on its target: on a CPU the
// rule-chosen tiling for a task with a reduction (cpu_tiled_default.h), else the
// parallel default (cpu_default_schedule.h); on a GPU the fused spatial loops over
// blocks and threads (gpu_default_schedule.h). Networks, packages and `bcd op` run
// the same one.
#pragma once
#include <string>

#include "ir/compute_dag.h"
#include "lower/layout_rewrite.h"
#include "target/target.h"

namespace bcd::search {

lower::Program default_program(const ir::ComputeDAG& dag, const std::string& name, const Target& target);

}  // namespace bcd::search
