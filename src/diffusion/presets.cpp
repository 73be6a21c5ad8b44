#include "diffusion/presets.h"

#include <fmt/format.h>

#include "support/error.h"

namespace bcd::diffusion {

DiffusionOptions diffusion_preset(const std::string& name) {
  if (name == "default") return DiffusionOptions{};
  if (name != "artifact") fail("unknown diffusion preset '{}' (default or artifact)", name);
  // The artifact's choices: operator clusters, up to 10 prior rounds, the best
  // prior's sketch only, every diffused State takes the prior's unroll depth,
  // singletons on the reduced search, nothing ever released.
  DiffusionOptions o;
  o.group_type = GroupType::Operator;
  o.top_n = 2;
  o.max_prior_rounds = 10;
  o.posterior_iterations = 2;
  o.posterior_measure_fraction = 0.5;
  o.split_rules = SplitRuleWeights{};
  o.unroll_copy_rate = 1;
  o.reduce_singletons = true;
  o.release_after_rounds = 0;
  o.release_below_rate = 0;
  o.prior_per_sketch = false;
  o.posterior_open_fraction = 0;
  o.stage_naming = search::StageNaming::Operation;
  o.posterior_floor = false;
  o.singleton_floor = false;
  o.posterior_first_measures = 0;
  return o;
}

std::string describe_options(const DiffusionOptions& o) {
  return fmt::format(
      "{} clusters, up to {} prior rounds, top {} priors{}, posteriors {} iterations and {:g} of a round, "
      "split rules {:g},{:g},{:g}, unroll copy rate {:g}, {} singletons, {}{}{}{}{}{}{}",
      group_type_name(o.group_type), o.max_prior_rounds, o.top_n, o.prior_per_sketch ? " per sketch" : "",
      o.posterior_iterations, o.posterior_measure_fraction, o.split_rules.copy_or_snap, o.split_rules.scale,
      o.split_rules.random, o.unroll_copy_rate, o.reduce_singletons ? "reduced" : "full",
      o.release_after_rounds == 0 ? std::string("never released")
                                  : fmt::format("released after {} stalled rounds", o.release_after_rounds),
      o.release_below_rate > 0 ? fmt::format(" or below {:g} of the representative's rate", o.release_below_rate)
                               : "",
      o.posterior_open_fraction > 0
          ? fmt::format(", {:g} of a posterior's population drawn as Ansor's", o.posterior_open_fraction)
          : "",
      o.stage_naming == search::StageNaming::Role ? ", stages named by role" : "",
      o.posterior_floor ? ", reduced tasks topped up to Ansor's warm-up" : "",
      o.singleton_floor && !o.posterior_floor ? ", reduced singletons topped up to Ansor's warm-up" : "",
      o.posterior_first_measures > 0 ? fmt::format(", first posterior rounds of {}", o.posterior_first_measures)
                                     : "");
}

}  // namespace bcd::diffusion
