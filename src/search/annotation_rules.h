// Random annotation of sketches (Ansor's initial-population rules for CPUs, and one
// of ours): fill the unknown split lengths, maybe reorder the innermost tile, move
// small stages' compute locations, fuse and parallelize outer loops, fuse and
// vectorize inner loops, pick an auto-unroll depth. Each rule applies ordinary
// transform steps, so the result is a State with a complete step history.
#pragma once
#include <functional>
#include <map>
#include <random>
#include <vector>

#include "schedule/state.h"
#include "search/factorization.h"
#include "search/search_options.h"
#include "search/search_task.h"

namespace bcd::search {

// The sketch's history replayed, each split with unknown lengths given the
// lengths `choose` returns for it (it sees the State just before the step).
// Fails (bcd::Error) if the replay does.
using SplitLengths = std::function<std::vector<int64_t>(const schedule::State&, const schedule::Step&)>;
schedule::State replay_filling_splits(const SearchTask& task, const schedule::State& sketch,
                                      const SplitLengths& choose);

// Every split step with unknown lengths gets a random exact factorization; the
// history is replayed. Fails (bcd::Error) if the replay does.
// Not quite Ansor's: on a CPU, with probability task.target.full_vector_tile_prob, a
// split of a spatial loop whose extent is a multiple of the vector lanes draws
// only among the factorizations whose innermost length is one too. Uniform
// factorizations rarely give the innermost tile a whole vector (a 4-level split of
// 128 ends in 16, 32 or 64 one time in six), and a search that measured few such
// States settles on half-width vectors or none: the vectorized loop, or the
// unrolled one the compiler packs into vectors, then fills part of a register.
schedule::State fill_tile_sizes(const SearchTask& task, const SearchOptions& options, const schedule::State& sketch,
                                FactorizationCache& cache, std::mt19937_64& rng);
// Not an Ansor rule. Ansor's innermost tile keeps the tensor's dimension order, so
// the loop vectorized is the last dimension's: the w of an NCHW conv, 7 lanes at
// 7x7. With probability task.target.inner_tile_reorder_prob this moves another spatial
// loop innermost in the inner tile of a tiled reduction computed inside its
// consumer (a local accumulator): one along which every read is contiguous or a
// broadcast. For an NCHW conv that is the output channel: the (rewritten) weight
// is read contiguously and the input broadcast, the register tile of oneDNN's
// direct convolution. Dense and NHWC convs have no such loop.
// With `chosen` (stage id -> root axis, from inner_tile_axes of another State) a
// listed stage draws nothing: it takes that axis innermost if it is a candidate,
// and keeps its order otherwise (diffusion copies the prior's choice this way).
using InnerTileAxes = std::map<int, int>;
void reorder_inner_tile(const SearchTask& task, schedule::State& state, std::mt19937_64& rng,
                        const InnerTileAxes* chosen = nullptr);
// Stage id -> the root axis of the innermost loop, for each tiled reduction stage
// computed inside its consumer: the stages reorder_inner_tile considers.
InnerTileAxes inner_tile_axes(const schedule::State& state);
void change_compute_locations(const SearchTask& task, schedule::State& state, std::mt19937_64& rng);
void annotate_parallel(const SearchTask& task, schedule::State& state);
void annotate_vectorize(const SearchTask& task, schedule::State& state, std::mt19937_64& rng);
void annotate_unroll(const SearchOptions& options, schedule::State& state, std::mt19937_64& rng);

// What follows the tile sizes: the inner tile's order, compute locations, parallel,
// vectorize and unroll (for a GPU task: annotate_gpu_tiled). Diffusion fills tile sizes its own way and
// annotates the rest with this, passing the prior's inner-tile order as `inner_axes`.
schedule::State annotate_tiled(const SearchTask& task, const SearchOptions& options, schedule::State tiled,
                               std::mt19937_64& rng, const InnerTileAxes* inner_axes = nullptr);

// All of the above on one sketch (for a GPU task: annotate_gpu_sketch).
schedule::State annotate_sketch(const SearchTask& task, const SearchOptions& options, const schedule::State& sketch,
                                FactorizationCache& cache, std::mt19937_64& rng);

// Stage ids and iterator indices where `stage_id` may be computed: loops of
// extent > 1 of its single consumer, down to the consumer's outer reduction tile
// (TVM's candidates, less the loops of a stage the consumer is computed inside:
// compute_at here only targets the consumer itself).
std::vector<std::pair<int, int>> compute_location_candidates(const schedule::State& state, int stage_id);

}  // namespace bcd::search
