// Resolving the target a user names into a full Target value for this machine:
// this CPU's name, cores and vector width; the GPU's limits read from device 0, or
// the H100-like defaults where there is no device (sketches, tasks and compile-only
// work need none). Also the lowering every target-aware caller shares.
#pragma once
#include <string>

#include "lower/layout_rewrite.h"
#include "search/search_task.h"

namespace bcd::search {

// `spec` is a target string ("llvm", "cuda", or a full string with -key=value
// options): the kind's values detected on this machine, then the options given
// in `spec` on top. Fails with one line on an unknown target or option, or on
// "cuda" in a build without CUDA.
Target resolve_target(const std::string& spec);

// What the resolved values are and where they came from (for -v).
std::string describe_target(const Target& target);

// Fails with one line saying why when `target` needs a device this process cannot
// use (measuring or running on cuda without a GPU).
void require_device(const Target& target);

// The program of `state` as it is built for `target`, and as the cost model sees
// it: on llvm, with its local accumulators and its DAG's layout-free inputs
// (weights) stored in the order the loops use them, as the target's layout-rewrite
// settings say (lower_with_layout_rewrite); on cuda, lower_state alone (GPU
// kernels stage weights through shared memory, and their accumulators are
// registers).
lower::Program lower_for_target(const schedule::State& state, const std::string& name, const Target& target);

}  // namespace bcd::search
