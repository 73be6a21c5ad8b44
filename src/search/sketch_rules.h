// Sketch generation (Ansor's derivation rules for CPUs): walk the stages from the
// output backwards and apply the first rules that match; a rule may branch, so a
// task has a few sketches. A sketch is a State whose split lengths are unknown.
//
// Rules, in order: always-inline (strictly inlineable, non-output stages),
// add-rfactor (reductions with little spatial parallelism), add-cache-write
// (stages that need multi-level tiling and have no elementwise consumer to fuse
// into), multi-level tiling with fusion ("SSRSRS" and computed at the consumer's
// level-1 or level-2 tile), multi-level tiling ("SSRSRS"), skip.
#pragma once
#include <string>
#include <vector>

#include "schedule/state.h"
#include "search/search_task.h"

namespace bcd::search {

// The task's target picks the rules: CPU rules, or the GPU rules of
// sketch_rules_gpu.h for "cuda".
std::vector<schedule::State> generate_sketches(const SearchTask& task);

// Effective body of a stage (inlined producers substituted) reads `producer` with
// exactly its own axes and the producer has the same shape.
bool is_elementwise_consumer(const schedule::State& state, int consumer, int producer);
// The single consumer (through inlined stages) that reads `stage_id` elementwise.
bool has_single_elementwise_consumer(const schedule::State& state, int stage_id, int* consumer);

// The multi-level tiling structure of a sketch, in Ansor's notation.
constexpr const char* kCpuTileStructure = "SSRSRS";

}  // namespace bcd::search
