// The posterior's initial population (DESIGN.md section 7, step 4): a sketch's
// unknown split lengths are diffused from a prior State chosen at random (matching
// split steps by stage id, iterator id and occurrence), the remaining annotation
// rules (compute location, parallel, vectorize) run as in Ansor, and the
// auto-unroll pragma of each stage is copied from the prior.
#pragma once
#include <random>
#include <vector>

#include "diffusion/split_diffusion.h"
#include "schedule/state.h"
#include "search/factorization.h"
#include "search/search_options.h"
#include "search/search_task.h"

namespace bcd::diffusion {

// One annotated State of `sketch` for `task`, diffused from one of `priors` (step
// histories of measured States of the prior task, of the same sketch). Fails
// (bcd::Error) if the result does not apply, like Ansor's annotation.
schedule::State diffuse_state(const search::SearchTask& task, const search::SearchOptions& options,
                              const schedule::State& sketch,
                              const std::vector<std::vector<schedule::Step>>& priors,
                              const SplitRuleWeights& weights, search::FactorizationCache& cache,
                              std::mt19937_64& rng);

}  // namespace bcd::diffusion
