#include "search/gpu_default_schedule.h"

#include "schedule/transform_step.h"
#include "search/factorization.h"
#include "search/sketch_rule_util.h"
#include "support/error.h"

namespace bcd::search {

using schedule::IterAnnotation;
using schedule::IterKind;
using schedule::State;
using schedule::StageKind;

State gpu_default_state(const ir::ComputeDAG& dag, int max_threads_per_block) {
  if (max_threads_per_block < 1) fail("gpu_default_state: max_threads_per_block must be positive, got {}",
                                      max_threads_per_block);
  State s(dag);
  // From the outputs backwards, as the sketch rules walk.
  for (int id = s.num_stages() - 1; id >= 0; --id)
    if (sketch::always_inlined(s, id, ir::is_cheap_injective)) s.apply(schedule::compute_inline_step(id));

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
