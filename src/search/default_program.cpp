#include "search/default_program.h"

#include "lower/lower.h"
#include "search/cpu_default_schedule.h"
#include "search/cpu_tiled_default.h"
#include "search/gpu_default_schedule.h"
#include "search/target.h"

namespace bcd::search {

lower::Program default_program(const ir::ComputeDAG& dag, const std::string& name, const Target& target) {
  if (target.is_gpu()) {
    lower::Program p;
    p.kernel = lower::lower_state(gpu_default_state(dag), name);
    return p;
  }
  std::optional<schedule::State> tiled = cpu_tiled_default_state(SearchTask{dag, target});
  return lower_for_target(tiled ? *tiled : cpu_default_state(dag, target.hardware.num_cores), name, target);
}

}  // namespace bcd::search
