// A rule-chosen tiled schedule for a CPU task with a reduction (conv, dense,
// batch_matmul), for networks that run before or without tuning: the first of the
// task's sketches that takes these tile sizes, with a deterministic annotation.
// The plain default (cpu_default_schedule.h) only parallelizes the outer loops and
// leaves a convolution's innermost loop over the kernel's 3 columns: untuned
// resnet-18 ran 11x and squeezenet_v1.1 15x slower than ONNX Runtime with it.
// Tile sizes, per split of the multi-level tiling: the last spatial axis (the
// contiguous one) gets an innermost tile of up to a vector's lanes, another spatial
// axis (preferably one an input is reused along) a register tile of up to 8, every
// reduction axis an inner tile of up to 16; everything else 1, so the outer tiles
// carry the parallelism. Where the last axis gives less than half a vector, the
// lanes go along a reused axis and the rows along the last one and a second one
// (cpu_tiled_default.cpp says why, with the measurements).
#pragma once
#include <optional>

#include "schedule/state.h"
#include "search/search_task.h"

namespace bcd::search {

// nullopt when the task has no reduction or no sketch takes the tile sizes.
std::optional<schedule::State> cpu_tiled_default_state(const SearchTask& task);

}  // namespace bcd::search
