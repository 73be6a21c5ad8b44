// Random annotation of GPU sketches (Ansor's initial-population rules for GPUs):
// fill the unknown split lengths (as on CPUs), bind loops to blocks and threads,
// bind the cooperative fetches of shared-memory stages, pick an auto-unroll
// depth. A sample whose kernels break a hardware limit (threads or shared memory
// per block, virtual threads, registers) fails with bcd::Error, so the sampler
// draws again.
//
// Thread binding, per root stage:
//   the consumer of a multi-level tiled stage: its level-0 tiles fused and bound
//     to blockIdx.x, level 1 to vthread, level 2 to threadIdx.x (the tiled stage
//     is computed inside, at the thread level);
//   a cross-thread reduction: its spatial iterators fused and bound to blockIdx.x;
//   any other stage: its outer spatial iterators fused, split by a length that
//     divides the extent (the largest warp multiple up to max threads per block,
//     else the largest divisor up to it), bound to blockIdx.x and threadIdx.x.
// A shared-memory stage: all its iterators fused and split by the thread count
// of the block (follow_fused_split of the tiled stage's thread-level lengths),
// the inner part bound to threadIdx.x, so the fetch uses exactly the threads of
// the block it feeds.
#pragma once
#include <random>

#include "schedule/state.h"
#include "search/factorization.h"
#include "search/search_options.h"
#include "search/search_task.h"

namespace bcd::search {

void bind_gpu_threads(const SearchTask& task, schedule::State& state);

schedule::State annotate_gpu_sketch(const SearchTask& task, const SearchOptions& options,
                                    const schedule::State& sketch, FactorizationCache& cache, std::mt19937_64& rng);

// Everything after the tile sizes on a GPU: thread binding, cooperative fetching,
// unroll; fails (bcd::Error) on a State over the GPU's limits.
schedule::State annotate_gpu_tiled(const SearchTask& task, const SearchOptions& options, schedule::State tiled,
                                   std::mt19937_64& rng);

// Index, in the final State, of the stage that step `step_index` of `history`
// applied to (later cache and rfactor steps insert stages and shift indices).
int final_stage_of_step(const std::vector<schedule::Step>& history, int step_index);

// Block threads for a stage whose fused spatial extent is `extent`.
int64_t threads_for_extent(const HardwareParams& hw, int64_t extent);

}  // namespace bcd::search
