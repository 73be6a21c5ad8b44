#include "search/gpu_default_schedule.h"

#include "schedule/transform_step.h"
#include "support/error.h"

namespace bcd::search {

using schedule::IterAnnotation;
using schedule::IterKind;
using schedule::State;
using schedule::StageKind;

namespace {

// The always-inline condition of the GPU sketch rules (sketch_rules_gpu.cpp):
// cheap injective, not an output, and read by some stage.
bool always_inline(const State& s, int id) {
  const auto& st = s.stage(id);
  return st.kind == StageKind::Compute && st.output_index < 0 && ir::is_cheap_injective(*st.op) &&
         !s.consumers(id).empty();
}

int64_t largest_divisor_at_most(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0) return d;
  return 1;
}

}  // namespace

State gpu_default_state(const ir::ComputeDAG& dag, int max_threads_per_block) {
  if (max_threads_per_block < 1) fail("gpu_default_state: max_threads_per_block must be positive, got {}",
                                      max_threads_per_block);
  State s(dag);
  // From the outputs backwards, as the sketch rules walk.
  for (int id = s.num_stages() - 1; id >= 0; --id)
    if (always_inline(s, id)) s.apply(schedule::compute_inline_step(id));

  for (int id = 0; id < s.num_stages(); ++id) {
    const auto& st = s.stage(id);
    if (st.kind != StageKind::Compute || st.compute_at != schedule::ComputeAtKind::Root) continue;
    // The root stage's iterators are its spatial axes, then its reduction axes.
    std::vector<int> spatial;
    for (int i = 0; i < static_cast<int>(st.iters.size()); ++i)
      if (st.iters[i].kind == IterKind::Spatial) spatial.push_back(i);
    if (spatial.empty()) continue;  // a full reduction: one thread of one block
    if (spatial.size() > 1) s.apply(schedule::fuse_step(id, spatial));
    int fused = spatial[0];
    int64_t extent = s.stage(id).iters[fused].extent;
    int64_t threads = largest_divisor_at_most(extent, max_threads_per_block);
    s.apply(schedule::split_step(id, fused, extent, {threads}));
    s.apply(schedule::annotation_step(id, fused, IterAnnotation::BlockIdxX));
    s.apply(schedule::annotation_step(id, fused + 1, IterAnnotation::ThreadIdxX));
  }
  return s;
}

}  // namespace bcd::search
