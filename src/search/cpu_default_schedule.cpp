#include "search/cpu_default_schedule.h"

#include "schedule/transform_step.h"
#include "search/sketch_rule_util.h"
#include "support/error.h"

namespace bcd::search {

using schedule::IterAnnotation;
using schedule::IterKind;
using schedule::State;
using schedule::StageKind;

State cpu_default_state(const ir::ComputeDAG& dag, int num_cores) {
  if (num_cores < 1) fail("cpu_default_state: the number of cores must be positive, got {}", num_cores);
  State s(dag);
  // From the outputs backwards, as the sketch rules walk.
  for (int id = s.num_stages() - 1; id >= 0; --id)
    if (sketch::always_inlined(s, id, ir::is_strictly_inlineable)) s.apply(schedule::compute_inline_step(id));

  const int64_t wanted = kIterationsPerCore * num_cores;
  for (int id = 0; id < s.num_stages(); ++id) {
    const auto& st = s.stage(id);
    if (st.kind != StageKind::Compute || st.compute_at != schedule::ComputeAtKind::Root) continue;
    // A root stage's iterators are its spatial axes, then its reduction axes.
    std::vector<int> outer;
    int64_t extent = 1;
    int spatial = 0;
    while (spatial < static_cast<int>(st.iters.size()) && st.iters[spatial].kind == IterKind::Spatial) ++spatial;
    for (int i = 0; i < spatial && (outer.empty() || (extent < wanted && i + 1 < spatial)); ++i) {
      outer.push_back(i);
      extent *= st.iters[i].extent;
    }
    if (extent < 2) continue;  // nothing to share among cores
    if (outer.size() > 1) s.apply(schedule::fuse_step(id, outer));
    s.apply(schedule::annotation_step(id, 0, IterAnnotation::Parallel));
  }
  return s;
}

}  // namespace bcd::search
