#include "diffusion/posterior_sampler.h"

#include <map>
#include <tuple>

#include "schedule/transform_step.h"
#include "search/annotation_rules.h"
#include "support/error.h"

namespace bcd::diffusion {

using schedule::Step;
using schedule::StepKind;

namespace {

constexpr const char* kUnrollPragma = "auto_unroll_max_step$";

bool is_unroll_pragma(const Step& s) { return s.kind == StepKind::Pragma && s.pragma.rfind(kUnrollPragma, 0) == 0; }

// (stage, iterator, how many earlier splits had the same two) -> the split step.
using SplitKey = std::tuple<int, int, int>;
std::map<SplitKey, const Step*> splits_by_key(const std::vector<Step>& steps) {
  std::map<SplitKey, const Step*> out;
  std::map<std::pair<int, int>, int> seen;
  for (const Step& s : steps) {
    if (s.kind != StepKind::Split) continue;
    int occurrence = seen[{s.stage_id, s.iter_id}]++;
    out[{s.stage_id, s.iter_id, occurrence}] = &s;
  }
  return out;
}

}  // namespace

schedule::State diffuse_state(const search::SearchTask& task, const search::SearchOptions& options,
                              const schedule::State& sketch, const std::vector<std::vector<Step>>& priors,
                              const SplitRuleWeights& weights, search::FactorizationCache& cache,
                              std::mt19937_64& rng) {
  BCD_CHECK(!priors.empty(), "diffusion without a prior State");
  const std::vector<Step>& prior = priors[std::uniform_int_distribution<size_t>(0, priors.size() - 1)(rng)];
  std::map<SplitKey, const Step*> prior_splits = splits_by_key(prior);

  std::vector<Step> steps = sketch.history();
  std::map<std::pair<int, int>, int> seen;
  const int64_t max_inner = task.hardware.max_innermost_split_factor;
  for (Step& s : steps) {
    if (s.kind != StepKind::Split) continue;
    int occurrence = seen[{s.stage_id, s.iter_id}]++;
    bool unknown = false;
    for (int64_t l : s.lengths) unknown = unknown || l == 0;
    if (!unknown) continue;
    auto match = prior_splits.find({s.stage_id, s.iter_id, occurrence});
    if (match == prior_splits.end() || match->second->lengths.size() != s.lengths.size() ||
        match->second->extent <= 0) {
      s.lengths = cache.sample(s.extent, static_cast<int>(s.lengths.size()), max_inner, rng);
      continue;
    }
    s.lengths = diffuse_split(match->second->lengths, match->second->extent, s.extent, pick_split_rule(weights, rng),
                              max_inner, cache, rng);
  }
  schedule::State state = search::annotate_tiled(task, options, schedule::replay(task.dag, steps), rng);

  // The unroll depth the prior found best for a stage carries over.
  std::map<int, std::string> prior_unroll;
  for (const Step& s : prior)
    if (is_unroll_pragma(s)) prior_unroll[s.stage_id] = s.pragma;
  std::vector<Step> annotated = state.history();
  bool changed = false;
  for (Step& s : annotated) {
    if (!is_unroll_pragma(s)) continue;
    auto it = prior_unroll.find(s.stage_id);
    if (it != prior_unroll.end() && it->second != s.pragma) s.pragma = it->second, changed = true;
  }
  return changed ? schedule::replay(task.dag, annotated) : state;
}

}  // namespace bcd::diffusion
