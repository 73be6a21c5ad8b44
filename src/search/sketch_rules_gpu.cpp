#include "search/sketch_rules_gpu.h"

#include <algorithm>

#include "ir/compute_dag.h"
#include "schedule/transform_step.h"
#include "search/sketch_rule_util.h"
#include "search/sketch_rules.h"
#include "support/error.h"

namespace bcd::search {

using namespace sketch;
using schedule::IterAnnotation;
using schedule::IterKind;
using schedule::Stage;
using schedule::State;

namespace {

bool needs_tiling(const State& s, int id) { return !is_placeholder(s, id) && ir::needs_multi_level_tiling(*s.stage(id).op); }

// Parts per spatial and per reduction axis in kGpuTileStructure.
constexpr int kSpatialLevels = 5;
constexpr int kReduceLevels = 3;
// The consumer of a fused tiled stage is split at this many levels (block,
// vthread, thread, rest) and the stage is computed at its thread-level tile.
constexpr int kFusionLevel = 3;

// Leaf index of the last iterator of the outermost reduction tile (where the
// shared-memory copies of the inputs are computed), or -1.
int outermost_reduce_tile_end(const Stage& st) {
  int n_reduce = st.num_root_axes() - st.num_spatial_axes();
  if (n_reduce == 0) return -1;
  for (int i = 0; i < static_cast<int>(st.iters.size()); ++i)
    if (st.iters[i].kind == IterKind::Reduce) return i + n_reduce - 1;
  return -1;
}

bool needs_cross_thread_reduction(const SearchTask& task, const State& s, int id) {
  const Stage& st = s.stage(id);
  if (is_placeholder(s, id) || !st.op->has_reduce() || has_cache_write_stage(s, id) || !st.relations.empty())
    return false;
  auto [space, reduce] = space_and_reduce_lengths(st);
  if (ir::needs_multi_level_tiling(*st.op)) {
    // Enough spatial work to fill the threads of a block: tile instead.
    if (space > task.hardware().max_threads_per_block) return false;
    return space < reduce;
  }
  return reduce > task.hardware().warp_size;
}

Rule add_cache_read_rule() {
  return [](const SearchTask&, const State& s, int id, std::vector<Branch>* out) {
    if (s.stage(id).compute_at == schedule::ComputeAtKind::Inlined ||
        s.stage(id).compute_at == schedule::ComputeAtKind::Iter)
      return Condition::Skip;
    std::vector<int> consumers = s.effective_consumers(id);
    if (consumers.size() != 1) return Condition::Skip;
    int target = consumers[0];
    const Stage& t = s.stage(target);
    if (!is_gpu_multi_level_tiled(t) || has_cross_thread_reduction(t)) return Condition::Skip;
    // Only what the tiled stage reads directly (not through an inlined stage).
    std::vector<int> direct = s.consumers(id);
    if (std::find(direct.begin(), direct.end(), target) == direct.end()) return Condition::Skip;
    int at = outermost_reduce_tile_end(t);
    if (at < 0) return Condition::Skip;
    if (out) {
      State n = s;
      n.apply(schedule::cache_read_step(id, "shared", {target}));
      n.apply(schedule::compute_at_step(id + 1, target + 1, at));
      // Visit the stage again: a padding stage now read by the copy gets inlined.
      out->push_back({n, id});
    }
    return Condition::ApplyAndSkipRest;
  };
}

Rule cross_thread_reduction_rule() {
  return [](const SearchTask& task, const State& s, int id, std::vector<Branch>* out) {
    if (!needs_cross_thread_reduction(task, s, id)) return Condition::Skip;
    const Stage& st = s.stage(id);
    std::vector<int> reduce;
    for (int i = 0; i < static_cast<int>(st.iters.size()); ++i)
      if (st.iters[i].kind == IterKind::Reduce) reduce.push_back(i);
    if (reduce.back() - reduce.front() + 1 != static_cast<int>(reduce.size())) return Condition::Skip;
    if (out) {
      State n = s;
      int fused = reduce.front();
      if (reduce.size() > 1) n.apply(schedule::fuse_step(id, reduce));
      // The thread count is a tunable split length: Ansor fixes it at the warp
      // size, but our splits are exact and the extent need not be a multiple.
      n.apply(schedule::split_step(id, fused, n.stage(id).iters[fused].extent, {0}));
      n.apply(schedule::annotation_step(id, fused + 1, IterAnnotation::ThreadIdxX));
      out->push_back({n, id - 1});
    }
    return Condition::Apply;
  };
}

Rule add_cache_write_rule() {
  return [](const SearchTask&, const State& s, int id, std::vector<Branch>* out) {
    int consumer;
    if (!needs_tiling(s, id) || has_single_elementwise_consumer(s, id, &consumer) || !s.stage(id).relations.empty())
      return Condition::Skip;
    if (out) {
      State n = s;
      n.apply(schedule::cache_write_step(id, "local"));
      out->push_back({n, id});  // the local stage now sits at `id`
    }
    // A GPU always tiles into registers: no branch without the cache stage.
    return Condition::ApplyAndSkipRest;
  };
}

Rule multi_level_tiling_with_fusion_rule() {
  return [](const SearchTask&, const State& s, int id, std::vector<Branch>* out) {
    int consumer;
    if (!needs_tiling(s, id) || !has_single_elementwise_consumer(s, id, &consumer) || !s.stage(id).relations.empty())
      return Condition::Skip;
    if (out) {
      State n = s;
      std::vector<int> splits = multi_level_tiling(n, id, kGpuTileStructure);
      follow_tiling(n, consumer, splits, kFusionLevel);
      int n_spatial = n.stage(consumer).num_spatial_axes();
      n.apply(schedule::compute_at_step(id, consumer, kFusionLevel * n_spatial - 1));
      out->push_back({n, id - 1});
    }
    return Condition::ApplyAndSkipRest;
  };
}

}  // namespace

bool has_cross_thread_reduction(const Stage& stage) {
  return std::any_of(stage.iters.begin(), stage.iters.end(), [](const schedule::Iterator& it) {
    return it.kind == IterKind::Reduce && it.annotation == IterAnnotation::ThreadIdxX;
  });
}

bool is_gpu_multi_level_tiled(const Stage& stage) {
  int ns = stage.num_spatial_axes(), nr = stage.num_root_axes() - ns;
  return !stage.relations.empty() && ir::needs_multi_level_tiling(*stage.op) &&
         static_cast<int>(stage.iters.size()) == ns * kSpatialLevels + nr * kReduceLevels &&
         !has_cross_thread_reduction(stage);
}

std::vector<State> generate_gpu_sketches(const SearchTask& task) {
  return derive_sketches(task, {add_cache_read_rule(), always_inline_rule(ir::is_cheap_injective), cross_thread_reduction_rule(),
                                add_cache_write_rule(), multi_level_tiling_with_fusion_rule(), skip_rule()});
}

}  // namespace bcd::search
