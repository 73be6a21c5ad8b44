#include "search/mutation_rules.h"

#include <fmt/format.h>

#include "schedule/transform_step.h"
#include "search/annotation_rules.h"
#include "search/factorization.h"
#include "search/gpu_limits.h"
#include "support/error.h"

namespace bcd::search {

using schedule::Step;
using schedule::StepKind;
using schedule::State;

namespace {

std::optional<State> try_replay(const SearchTask& task, const std::vector<Step>& steps) {
  try {
    return schedule::replay(task.dag, steps);
  } catch (const InternalError& e) {
    note_swallowed(e);
    return std::nullopt;
  } catch (const Error&) {
    return std::nullopt;
  }
}

template <typename Pred>
std::vector<int> steps_where(const std::vector<Step>& steps, Pred pred) {
  std::vector<int> ids;
  for (int i = 0; i < static_cast<int>(steps.size()); ++i)
    if (pred(steps[i])) ids.push_back(i);
  return ids;
}

int pick_index(size_t n, std::mt19937_64& rng) { return std::uniform_int_distribution<int>(0, static_cast<int>(n) - 1)(rng); }

}  // namespace

std::optional<State> mutate_tile_size(const SearchTask& task, const State& s, std::mt19937_64& rng) {
  std::vector<Step> steps = s.history();
  auto splits = steps_where(steps, [](const Step& st) {
    if (st.kind != StepKind::Split || st.extent <= 1) return false;
    for (int64_t l : st.lengths)
      if (l <= 0) return false;
    return true;
  });
  if (splits.empty()) return std::nullopt;
  Step& step = steps[splits[pick_index(splits.size(), rng)]];
  // All parts, the derived one included, outer to inner.
  int64_t product = 1;
  for (int64_t l : step.lengths) product *= l;
  std::vector<int64_t> parts = step.lengths;
  int free = step.inner_to_outer ? 0 : static_cast<int>(parts.size());
  parts.insert(parts.begin() + free, step.extent / product);
  std::vector<int> sources;
  for (int i = 0; i < static_cast<int>(parts.size()); ++i)
    if (parts[i] > 1) sources.push_back(i);
  if (sources.empty()) return std::nullopt;
  int src = sources[pick_index(sources.size(), rng)];
  std::vector<int64_t> factors = divisors_of(parts[src]);
  int64_t factor = factors[1 + pick_index(factors.size() - 1, rng)];  // a divisor > 1
  int dst = pick_index(parts.size() - 1, rng);
  if (dst >= src) ++dst;
  parts[src] /= factor;
  parts[dst] *= factor;
  if (parts.back() > task.hardware().max_innermost_split_factor) return std::nullopt;
  parts.erase(parts.begin() + free);
  step.lengths = parts;
  return try_replay(task, steps);
}

std::optional<State> mutate_auto_unroll(const SearchTask& task, const SearchOptions& options, const State& s,
                                        std::mt19937_64& rng) {
  std::vector<Step> steps = s.history();
  auto pragmas = steps_where(steps, [](const Step& st) { return st.kind == StepKind::Pragma; });
  if (pragmas.empty()) return std::nullopt;
  Step& step = steps[pragmas[pick_index(pragmas.size(), rng)]];
  std::string value = fmt::format("auto_unroll_max_step${}",
                                  options.auto_unroll_configs[pick_index(options.auto_unroll_configs.size(), rng)]);
  if (value == step.pragma) return std::nullopt;
  step.pragma = value;
  return try_replay(task, steps);
}

std::optional<State> mutate_compute_location(const SearchTask& task, const State& s, std::mt19937_64& rng) {
  std::vector<Step> steps = s.history();
  auto moves = steps_where(steps, [&](const Step& st) { return st.kind == StepKind::ComputeAt; });
  if (moves.empty()) return std::nullopt;
  int at = moves[pick_index(moves.size(), rng)];
  // Candidates as of the point in the history where the step stands.
  State prefix = schedule::replay(task.dag, std::vector<Step>(steps.begin(), steps.begin() + at));
  // Only the locations the annotation rules chose move, not the tiling's fusion.
  if (ir::needs_multi_level_tiling(*prefix.stage(steps[at].stage_id).op)) return std::nullopt;
  auto candidates = compute_location_candidates(prefix, steps[at].stage_id);
  if (candidates.empty()) return std::nullopt;
  auto [target, iter] = candidates[pick_index(candidates.size(), rng)];
  if (target == steps[at].target_stage_id && iter == steps[at].target_iter_id) return std::nullopt;
  steps[at].target_stage_id = target;
  steps[at].target_iter_id = iter;
  return try_replay(task, steps);
}

std::optional<State> mutate_parallel(const SearchTask& task, const State& s, std::mt19937_64& rng) {
  std::vector<Step> steps = s.history();
  auto parallels = steps_where(steps, [](const Step& st) {
    return st.kind == StepKind::Annotation && st.annotation == schedule::IterAnnotation::Parallel;
  });
  if (parallels.empty()) return std::nullopt;
  int at = parallels[pick_index(parallels.size(), rng)];
  int stage = steps[at].stage_id;
  bool fused = at > 0 && steps[at - 1].kind == StepKind::Fuse && steps[at - 1].stage_id == stage;
  int current = fused ? static_cast<int>(steps[at - 1].iter_ids.size()) : 1;
  int first = fused ? steps[at - 1].iter_ids.front() : steps[at].iter_id;
  // How many consecutive plain spatial loops could be fused there.
  int fuse_step_at = fused ? at - 1 : at;
  State prefix = schedule::replay(task.dag, std::vector<Step>(steps.begin(), steps.begin() + fuse_step_at));
  const auto& iters = prefix.stage(stage).iters;
  int limit = 0;
  while (first + limit < static_cast<int>(iters.size()) && iters[first + limit].kind == schedule::IterKind::Spatial &&
         iters[first + limit].annotation == schedule::IterAnnotation::None)
    ++limit;
  if (limit <= 1) return std::nullopt;
  int count = 1 + pick_index(limit, rng);
  if (count == current) return std::nullopt;
  std::vector<Step> out(steps.begin(), steps.begin() + fuse_step_at);
  if (count > 1) {
    std::vector<int> ids;
    for (int i = first; i < first + count; ++i) ids.push_back(i);
    out.push_back(schedule::fuse_step(stage, ids));
  }
  out.push_back(schedule::annotation_step(stage, first, schedule::IterAnnotation::Parallel));
  // Later steps of this stage name iterators by index: shift them by the change.
  int shift = (current - 1) - (count - 1);
  for (size_t i = at + 1; i < steps.size(); ++i) {
    Step st = steps[i];
    if (st.stage_id == stage && st.iter_id > first) st.iter_id += shift;
    if (st.stage_id == stage)
      for (auto& id : st.iter_ids)
        if (id > first) id += shift;
    if (st.kind == StepKind::ComputeAt && st.target_stage_id == stage && st.target_iter_id > first)
      st.target_iter_id += shift;
    out.push_back(st);
  }
  return try_replay(task, out);
}

namespace {

// GPU: only tile sizes and the unroll depth change (thread-bound stages keep
// their compute locations and there is no parallel loop); a child that breaks a
// hardware limit is no child.
std::optional<State> mutate_gpu(const SearchTask& task, const SearchOptions& o, const State& s, std::mt19937_64& rng) {
  std::discrete_distribution<int> rule({o.mutate_tile_size, o.mutate_auto_unroll});
  std::optional<State> child;
  if (rule(rng) == 0) {
    child = mutate_tile_size(task, s, rng);
  } else {
    SearchOptions gpu = o;
    gpu.auto_unroll_configs = o.gpu_auto_unroll_configs;
    child = mutate_auto_unroll(task, gpu, s, rng);
  }
  if (!child) return child;
  try {
    check_gpu_limits(task, *child);
  } catch (const InternalError& e) {
    note_swallowed(e);
    return std::nullopt;
  } catch (const Error&) {
    return std::nullopt;
  }
  return child;
}

}  // namespace

std::optional<State> mutate(const SearchTask& task, const SearchOptions& o, const State& s, std::mt19937_64& rng) {
  if (task.is_gpu()) return mutate_gpu(task, o, s, rng);
  std::discrete_distribution<int> rule({o.mutate_tile_size, o.mutate_auto_unroll, o.mutate_compute_location,
                                        o.mutate_parallel});
  switch (rule(rng)) {
    case 0: return mutate_tile_size(task, s, rng);
    case 1: return mutate_auto_unroll(task, o, s, rng);
    case 2: return mutate_compute_location(task, s, rng);
    default: return mutate_parallel(task, s, rng);
  }
}

}  // namespace bcd::search
