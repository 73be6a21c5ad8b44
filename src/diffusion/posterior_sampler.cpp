#include "diffusion/posterior_sampler.h"

#include "search/sketch_signature.h"
#include "schedule/transform_step.h"
#include "search/annotation_rules.h"
#include "support/error.h"

namespace bcd::diffusion {

using schedule::Step;
using schedule::StepKind;

namespace {

constexpr const char* kUnrollPragma = "auto_unroll_max_step$";

bool is_unroll_pragma(const Step& s) { return s.kind == StepKind::Pragma && s.pragma.rfind(kUnrollPragma, 0) == 0; }

// The match key of every split step of `steps` (stage keys from step_stage_keys);
// other steps get an empty stage key.
std::vector<std::tuple<std::string, int, int>> split_keys(const std::vector<Step>& steps,
                                                          const std::vector<std::string>& stage_keys) {
  std::vector<std::tuple<std::string, int, int>> out(steps.size());
  std::map<std::pair<std::string, int>, int> seen;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].kind != StepKind::Split) continue;
    int occurrence = seen[{stage_keys[i], steps[i].iter_id}]++;
    out[i] = {stage_keys[i], steps[i].iter_id, occurrence};
  }
  return out;
}

}  // namespace

PriorSchedule prior_schedule(const schedule::State& prior, search::StageNaming naming) {
  PriorSchedule out;
  out.naming = naming;
  const std::vector<Step>& steps = prior.history();
  std::vector<std::string> stages = search::step_stage_keys(prior.dag(), steps, naming);
  std::vector<std::tuple<std::string, int, int>> keys = split_keys(steps, stages);
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].kind == StepKind::Split) out.splits[keys[i]] = steps[i];
    if (is_unroll_pragma(steps[i])) out.unroll_pragmas[stages[i]] = steps[i].pragma;
  }
  for (auto [stage_id, axis] : search::inner_tile_axes(prior))
    out.inner_tile_axes[search::stage_key(prior, stage_id, naming)] = axis;
  return out;
}

schedule::State diffuse_state(const search::SearchTask& task, const search::SearchOptions& options,
                              const schedule::State& sketch, const std::vector<PriorSchedule>& priors,
                              const SplitRuleWeights& weights, search::FactorizationCache& cache,
                              std::mt19937_64& rng, double unroll_copy_rate) {
  BCD_CHECK(!priors.empty(), "diffusion without a prior State");
  const PriorSchedule& prior = priors[std::uniform_int_distribution<size_t>(0, priors.size() - 1)(rng)];

  std::vector<Step> steps = sketch.history();
  std::vector<std::tuple<std::string, int, int>> keys =
      split_keys(steps, search::step_stage_keys(task.dag, steps, prior.naming));
  const int64_t max_inner = task.hardware().max_innermost_split_factor;
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& s = steps[i];
    if (s.kind != StepKind::Split) continue;
    bool unknown = false;
    for (int64_t l : s.lengths) unknown = unknown || l == 0;
    if (!unknown) continue;
    auto match = prior.splits.find(keys[i]);
    if (match == prior.splits.end() || match->second.lengths.size() != s.lengths.size() ||
        match->second.extent <= 0) {
      s.lengths = cache.sample(s.extent, static_cast<int>(s.lengths.size()), max_inner, rng);
      continue;
    }
    s.lengths = diffuse_split(match->second.lengths, match->second.extent, s.extent, pick_split_rule(weights, rng),
                              max_inner, cache, rng);
  }
  schedule::State tiled = schedule::replay(task.dag, steps);
  search::InnerTileAxes inner_axes;
  for (int id = 0; id < tiled.num_stages(); ++id) {
    auto it = prior.inner_tile_axes.find(search::stage_key(tiled, id, prior.naming));
    if (it != prior.inner_tile_axes.end()) inner_axes[id] = it->second;
  }
  schedule::State state = search::annotate_tiled(task, options, std::move(tiled), rng, &inner_axes);

  // The unroll depth the prior found best for a stage carries over. Annotation adds
  // no stages, so the final State's stage indices are those of its pragma steps.
  // (At the default rate of 1 no number is drawn, so the random stream, and with it
  // a seeded run, is the artifact's.)
  if (unroll_copy_rate < 1 && std::uniform_real_distribution<double>(0, 1)(rng) >= unroll_copy_rate) return state;
  std::vector<Step> annotated = state.history();
  bool changed = false;
  for (Step& s : annotated) {
    if (!is_unroll_pragma(s)) continue;
    auto it = prior.unroll_pragmas.find(search::stage_key(state, s.stage_id, prior.naming));
    if (it != prior.unroll_pragmas.end() && it->second != s.pragma) s.pragma = it->second, changed = true;
  }
  return changed ? schedule::replay(task.dag, annotated) : state;
}

}  // namespace bcd::diffusion
