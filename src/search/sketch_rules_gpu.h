// Sketch generation for GPUs (Ansor's GPU derivation rules), for target "cuda".
// Rules, in order, for each stage from the output backwards:
//   add-cache-read: an input read directly by a multi-level tiled stage gets a
//     shared-memory copy, computed at the tiled stage's outermost reduction tile
//     (threads fetch it cooperatively; the annotation binds the fetch);
//   always-inline: as on CPUs;
//   cross-thread reduction: a reduction with little spatial and much reduction
//     work: its reduction iterators are fused, split and the inner part bound to
//     threadIdx.x, so the threads of a block reduce together (branches: the plain
//     sketch remains too);
//   add-cache-write: a stage that needs multi-level tiling and has no elementwise
//     consumer gets a local cache stage (always, unlike on CPUs);
//   multi-level tiling with fusion: "SSSRRSRS" (spatial in 5 levels: block,
//     vthread, thread, two inner; reduction in 3) and computed at its elementwise
//     consumer's thread-level tile;
//   skip.
// Thread binding happens in the annotation (annotation_rules_gpu.h).
#pragma once
#include <vector>

#include "schedule/state.h"
#include "search/search_task.h"

namespace bcd::search {

constexpr const char* kGpuTileStructure = "SSSRRSRS";

std::vector<schedule::State> generate_gpu_sketches(const SearchTask& task);

// The stage reduces across the threads of a block (a reduction iterator is
// bound to threadIdx.x).
bool has_cross_thread_reduction(const schedule::Stage& stage);

// The stage was tiled by the GPU multi-level tiling rule.
bool is_gpu_multi_level_tiled(const schedule::Stage& stage);

}  // namespace bcd::search
