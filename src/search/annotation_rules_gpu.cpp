#include "search/annotation_rules_gpu.h"

#include <algorithm>

#include "schedule/transform_step.h"
#include "search/annotation_rules.h"
#include "search/gpu_limits.h"
#include "search/sketch_rules_gpu.h"
#include "support/error.h"

namespace bcd::search {

using schedule::ComputeAtKind;
using schedule::IterAnnotation;
using schedule::IterKind;
using schedule::Stage;
using schedule::StageKind;
using schedule::State;
using schedule::Step;
using schedule::StepKind;

namespace {

// Parts of a spatial split of the GPU tiling: block, vthread, thread, 2 inner;
// the thread-level length is lengths[1] (the block part is the free one).
constexpr size_t kSpatialSplitLengths = 4;
constexpr int kThreadLevel = 1;

void fuse_if_several(State& s, int id, int first, int count) {
  if (count <= 1) return;
  std::vector<int> ids;
  for (int i = first; i < first + count; ++i) ids.push_back(i);
  s.apply(schedule::fuse_step(id, ids));
}

// The consumer of a tiled stage: [level 0 x n][level 1 x n][level 2 x n][rest x n].
void bind_tiled_consumer(State& s, int id) {
  int n = s.stage(id).num_spatial_axes();
  BCD_CHECK(static_cast<int>(s.stage(id).iters.size()) >= 3 * n, "{} is not split for thread binding",
            s.stage(id).op->name);
  const IterAnnotation levels[] = {IterAnnotation::BlockIdxX, IterAnnotation::VThread, IterAnnotation::ThreadIdxX};
  for (int level = 0; level < 3; ++level) {
    fuse_if_several(s, id, level, n);
    s.apply(schedule::annotation_step(id, level, levels[level]));
  }
}

int leading_spatial_leaves(const Stage& st) {
  int k = 0;
  while (k < static_cast<int>(st.iters.size()) && st.iters[k].kind == IterKind::Spatial &&
         st.iters[k].annotation == IterAnnotation::None)
    ++k;
  return k;
}

void bind_cross_thread_reduction(State& s, int id) {
  int k = leading_spatial_leaves(s.stage(id));
  if (k == 0) return;
  fuse_if_several(s, id, 0, k);
  s.apply(schedule::annotation_step(id, 0, IterAnnotation::BlockIdxX));
}

void bind_simple_stage(const SearchTask& task, State& s, int id) {
  int k = leading_spatial_leaves(s.stage(id));
  if (k == 0) return;
  fuse_if_several(s, id, 0, k);
  int64_t extent = s.stage(id).iters[0].extent;
  int64_t threads = threads_for_extent(task.hardware(), extent);
  s.apply(schedule::split_step(id, 0, extent, {threads}));
  s.apply(schedule::annotation_step(id, 0, IterAnnotation::BlockIdxX));
  s.apply(schedule::annotation_step(id, 1, IterAnnotation::ThreadIdxX));
}

// The spatial split steps of the GPU tiling of stage `tiled`, in axis order.
std::vector<int> spatial_tiling_splits(const State& s, int tiled) {
  const auto& h = s.history();
  std::vector<std::pair<int, int>> by_axis;  // (axis, step)
  for (int k = 0; k < static_cast<int>(h.size()); ++k)
    if (h[k].kind == StepKind::Split && h[k].lengths.size() == kSpatialSplitLengths &&
        final_stage_of_step(h, k) == tiled)
      by_axis.emplace_back(h[k].iter_id, k);  // the tiling splits axis i as iterator i
  std::sort(by_axis.begin(), by_axis.end());
  std::vector<int> steps;
  for (auto [axis, step] : by_axis) steps.push_back(step);
  BCD_CHECK(static_cast<int>(steps.size()) == s.stage(tiled).num_spatial_axes(),
            "{} has {} tiling splits for {} spatial axes", s.stage(tiled).op->name, steps.size(),
            s.stage(tiled).num_spatial_axes());
  return steps;
}

void bind_cooperative_fetch(State& s, int id) {
  std::vector<int> splits = spatial_tiling_splits(s, s.stage(id).attach_stage);
  fuse_if_several(s, id, 0, static_cast<int>(s.stage(id).iters.size()));
  s.apply(schedule::follow_fused_split_step(id, 0, splits, kThreadLevel, true));
  s.apply(schedule::annotation_step(id, 1, IterAnnotation::ThreadIdxX));
}

}  // namespace

int final_stage_of_step(const std::vector<Step>& h, int step_index) {
  int id = h[step_index].stage_id;
  for (size_t j = step_index + 1; j < h.size(); ++j) {
    if (h[j].kind == StepKind::CacheRead && id > h[j].stage_id) ++id;  // inserted after its source
    if ((h[j].kind == StepKind::CacheWrite || h[j].kind == StepKind::Rfactor) && id >= h[j].stage_id) ++id;
  }
  return id;
}

int64_t threads_for_extent(const HardwareParams& hw, int64_t extent) {
  int64_t best_warp_multiple = 0, best = 1;
  for (int64_t d : divisors_of(extent)) {
    if (d > hw.max_threads_per_block) break;
    best = d;
    if (d % hw.warp_size == 0) best_warp_multiple = d;
  }
  return best_warp_multiple ? best_warp_multiple : best;
}

void bind_gpu_threads(const SearchTask& task, State& s) {
  for (int id = 0; id < s.num_stages(); ++id) {
    const Stage& st = s.stage(id);
    if (st.kind == StageKind::Placeholder || st.compute_at == ComputeAtKind::Inlined) continue;
    if (st.compute_at == ComputeAtKind::Iter) {
      if (st.scope == "shared") bind_cooperative_fetch(s, id);
      continue;  // else computed inside a bound stage's loops
    }
    std::vector<int> attached = s.attached_stages(id);
    bool feeds_tiled = std::any_of(attached.begin(), attached.end(),
                                   [&](int a) { return is_gpu_multi_level_tiled(s.stage(a)); });
    if (feeds_tiled)
      bind_tiled_consumer(s, id);
    else if (has_cross_thread_reduction(st))
      bind_cross_thread_reduction(s, id);
    else
      bind_simple_stage(task, s, id);
  }
}

State annotate_gpu_sketch(const SearchTask& task, const SearchOptions& options, const State& sketch,
                          FactorizationCache& cache, std::mt19937_64& rng) {
  return annotate_gpu_tiled(task, options, fill_tile_sizes(task, options, sketch, cache, rng), rng);
}

State annotate_gpu_tiled(const SearchTask& task, const SearchOptions& options, State s, std::mt19937_64& rng) {
  bind_gpu_threads(task, s);
  SearchOptions gpu = options;
  gpu.auto_unroll_configs = options.gpu_auto_unroll_configs;
  annotate_unroll(gpu, s, rng);
  check_gpu_limits(task, s);
  return s;
}

}  // namespace bcd::search
