// The targets bcd compiles for ("llvm": this CPU, "cuda": an NVIDIA GPU) and the
// hardware parameters the search assumes for each: this CPU's cores and vector
// width; the GPU's limits read from device 0, or an H100-like default where there
// is no device (sketches, tasks and compile-only work need none).
#pragma once
#include <string>

#include "lower/layout_rewrite.h"
#include "search/search_task.h"

namespace bcd::search {

// Fails with one line on an unknown target, or on "cuda" in a build without CUDA.
void check_target(const std::string& target);

struct TargetHardware {
  HardwareParams params;
  std::string description;  // what the values are and where they came from
};

TargetHardware hardware_for_target(const std::string& target);

// Fails with one line saying why when `target` needs a device this process cannot
// use (measuring or running on "cuda" without a GPU).
void require_device(const std::string& target);

// The program of `state` as it is built for `target`, and as the cost model sees
// it: on llvm, with its local accumulators and its DAG's layout-free inputs
// (weights) stored in the order the loops use them (lower_with_layout_rewrite); on
// cuda, lower_state alone (GPU kernels stage weights through shared memory, and
// their accumulators are registers). BCD_LAYOUT_REWRITE in the environment picks
// the rewrites everywhere (tuning, the cost model, `bcd run`, `bcd op`), for
// ablations: 0 for none, `weights` or `accumulators` for one of them.
lower::Program lower_for_target(const schedule::State& state, const std::string& name, const std::string& target);

}  // namespace bcd::search
