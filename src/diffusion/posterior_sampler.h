// The posterior's initial population (DESIGN.md section 7, step 4): a sketch's
// unknown split lengths are diffused from a prior State chosen at random (matching
// split steps by stage, iterator id and occurrence), the remaining annotation
// rules (compute location, parallel, vectorize) run as in Ansor, the inner-tile
// order (search::reorder_inner_tile, not in the artifact) is the prior's, and the
// auto-unroll pragma of each stage is copied from the prior (with probability
// `unroll_copy_rate`; otherwise the annotation's random depth stays). Stages are matched by
// their keys (sketch_signature.h, named as the prior's were), not their indices, which
// differ between tasks.
#pragma once
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "diffusion/split_diffusion.h"
#include "schedule/state.h"
#include "search/factorization.h"
#include "search/search_options.h"
#include "search/search_task.h"
#include "search/sketch_signature.h"

namespace bcd::diffusion {

// What a posterior takes from one measured prior State.
struct PriorSchedule {
  // (stage key, iterator id, how many earlier splits had the same two) -> split.
  std::map<std::tuple<std::string, int, int>, schedule::Step> splits;
  std::map<std::string, std::string> unroll_pragmas;  // stage key -> pragma
  // Stage key -> the root axis innermost in its inner tile. The split lengths
  // diffused were tuned for that order (16 output channels as the vector, say):
  // drawing the order again would pair them with the other one half the time.
  std::map<std::string, int> inner_tile_axes;
  search::StageNaming naming = search::StageNaming::Operation;  // of the keys above
};
PriorSchedule prior_schedule(const schedule::State& prior,
                             search::StageNaming naming = search::StageNaming::Operation);

// One annotated State of `sketch` for `task`, diffused from one of `priors` (of
// the same sketch structure). Fails (bcd::Error) if the result does not apply,
// like Ansor's annotation.
schedule::State diffuse_state(const search::SearchTask& task, const search::SearchOptions& options,
                              const schedule::State& sketch, const std::vector<PriorSchedule>& priors,
                              const SplitRuleWeights& weights, search::FactorizationCache& cache,
                              std::mt19937_64& rng, double unroll_copy_rate = 1);

}  // namespace bcd::diffusion
