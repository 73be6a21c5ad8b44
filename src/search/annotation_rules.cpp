#include "search/annotation_rules.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include <fmt/format.h>

#include "ir/expr_functor.h"
#include "schedule/transform_step.h"
#include "search/annotation_rules_gpu.h"
#include "search/gpu_tile_budget.h"
#include "support/error.h"

namespace bcd::search {

using schedule::ComputeAtKind;
using schedule::IterAnnotation;
using schedule::IterKind;
using schedule::IterRelation;
using schedule::Stage;
using schedule::StageKind;
using schedule::State;

namespace {

bool is_tiled(const Stage& st) { return !st.relations.empty(); }

bool skipped(const Stage& st) { return st.kind == StageKind::Placeholder || st.compute_at == ComputeAtKind::Inlined; }

bool has_attached_at(const State& s, int stage_id, int iter) {
  int node = s.stage(stage_id).iters[iter].node;
  for (int a : s.attached_stages(stage_id))
    if (s.stage(a).attach_node == node) return true;
  return false;
}

}  // namespace

State replay_filling_splits(const SearchTask& task, const State& sketch, const SplitLengths& choose) {
  // Replayed step by step: whether a split's loop is spatial is known only in the
  // State just before it.
  State s(task.dag);
  const std::vector<schedule::Step>& steps = sketch.history();
  for (size_t i = 0; i < steps.size(); ++i) {
    schedule::Step step = steps[i];
    bool unknown = false;
    for (int64_t l : step.lengths) unknown = unknown || l == 0;
    if (step.kind == schedule::StepKind::Split && unknown) {
      BCD_CHECK(step.extent > 0, "split of an unknown extent in a sketch");
      step.lengths = choose(s, step);
    }
    try {
      s.apply(step);
    } catch (const Error& e) {
      fail("replaying step {} ({}): {}", i, schedule::step_kind_name(step.kind), e.what());
    }
  }
  return s;
}

State fill_tile_sizes(const SearchTask& task, const SearchOptions& /*options*/, const State& sketch,
                      FactorizationCache& cache, std::mt19937_64& rng) {
  const int64_t lanes = task.hardware().vector_lanes;
  std::map<int, GpuTileBudget> gpu_budgets;  // by stage, for the splits of a GPU tiling
  return replay_filling_splits(task, sketch, [&](const State& s, const schedule::Step& step) {
    const int n = static_cast<int>(step.lengths.size());
    const int64_t max_inner = task.hardware().max_innermost_split_factor;
    const Stage& stage = s.stage(step.stage_id);
    const bool spatial = stage.iters[step.iter_id].kind == IterKind::Spatial;
    bool whole_vectors = !task.is_gpu() && lanes > 1 && step.extent % lanes == 0 && spatial &&
                         std::bernoulli_distribution(task.target.full_vector_tile_prob)(rng);
    const int axis = stage.iters[step.iter_id].node;  // a root axis while the GPU tiling splits it
    // The GPU tiling splits each root axis once: spatial ones in 4 parts,
    // reductions in 2 (inner to outer, so the reductions come first).
    if (task.is_gpu() && axis < stage.num_root_axes() && n == (spatial ? 4 : 2)) {
      GpuTileBudget& budget = gpu_budgets.try_emplace(step.stage_id, task.hardware(), *stage.op).first->second;
      std::vector<int64_t> lengths = cache.sample_admitted(
          step.extent, n, max_inner, [&](const std::vector<int64_t>& l) { return budget.admits(axis, l); }, rng);
      budget.take(axis, lengths);
      return lengths;
    }
    return whole_vectors ? cache.sample_inner_multiple(step.extent, n, max_inner, lanes, rng)
                         : cache.sample(step.extent, n, max_inner, rng);
  });
}

std::vector<std::pair<int, int>> compute_location_candidates(const State& s, int stage_id) {
  std::vector<std::pair<int, int>> out;
  std::vector<int> consumers = s.effective_consumers(stage_id);
  if (consumers.size() != 1) return out;
  int t = consumers[0];
  const Stage& target = s.stage(t);
  bool target_tiled = is_tiled(target), visited_reduce = false;
  for (int i = 0; i < static_cast<int>(target.iters.size()); ++i) {
    const auto& it = target.iters[i];
    if (it.kind == IterKind::Reduce) {
      visited_reduce = true;
      if (!target_tiled) break;  // do not go into an untiled reduction
    } else if (visited_reduce) {
      break;  // nor into the inner tile behind the outer reduction loops
    }
    if (it.extent == 1) continue;
    out.emplace_back(t, i);
    if (has_attached_at(s, t, i)) break;
  }
  return out;
}

void change_compute_locations(const SearchTask&, State& s, std::mt19937_64& rng) {
  for (int id = s.num_stages() - 1; id >= 0; --id) {
    const Stage& st = s.stage(id);
    if (skipped(st) || st.output_index >= 0 || is_tiled(st) || ir::needs_multi_level_tiling(*st.op)) continue;
    auto candidates = compute_location_candidates(s, id);
    size_t choice = std::uniform_int_distribution<size_t>(0, candidates.size() + 1)(rng);
    try {
      if (choice == 0) {
        if (!st.op->has_reduce() && st.compute_at == ComputeAtKind::Iter) s.apply(schedule::compute_inline_step(id));
      } else if (choice == 1) {
        if (st.compute_at != ComputeAtKind::Root) s.apply(schedule::compute_root_step(id));
      } else {
        auto [t, i] = candidates[choice - 2];
        s.apply(schedule::compute_at_step(id, t, i));
      }
    } catch (const InternalError& e) {
      note_swallowed(e);
    } catch (const Error&) {
      // That location is not legal for this state: keep the current one.
    }
  }
}

namespace {

void parallel_stage(const SearchTask& task, State& s, int id, int offset) {
  const Stage& st = s.stage(id);
  std::vector<int> to_fuse;
  int64_t degree = 1;
  int i = offset;
  for (; i < static_cast<int>(st.iters.size()); ++i) {
    const auto& it = st.iters[i];
    if (it.kind == IterKind::Reduce || it.annotation != IterAnnotation::None) break;
    to_fuse.push_back(i);
    degree *= it.extent;
    if (degree > task.hardware().num_cores * 16) break;
    if (has_attached_at(s, id, i)) break;
  }
  if (degree == 1) {
    // Nothing to parallelize here: try the stages computed at the next loop.
    if (i < static_cast<int>(st.iters.size()) && has_attached_at(s, id, i)) {
      int node = st.iters[i].node;
      for (int a : s.attached_stages(id))
        if (s.stage(a).attach_node == node) parallel_stage(task, s, a, 0);
      parallel_stage(task, s, id, i + 1);
    }
    return;
  }
  if (to_fuse.size() > 1) s.apply(schedule::fuse_step(id, to_fuse));
  s.apply(schedule::annotation_step(id, to_fuse.front(), IterAnnotation::Parallel));
}

// The root axis the iterator on relation `node` was split from, or -1 if a fuse
// made it.
int root_axis_of(const Stage& st, int node) {
  while (node >= st.num_root_axes()) {
    auto rel = std::find_if(st.relations.begin(), st.relations.end(), [&](const IterRelation& r) {
      return std::find(r.outputs.begin(), r.outputs.end(), node) != r.outputs.end();
    });
    if (rel == st.relations.end() || rel->kind != IterRelation::Split) return -1;
    node = rel->inputs[0];
  }
  return node;
}

// True if vectorizing along spatial axis `axis` of the stage's op reads every
// tensor either contiguously or as one broadcast value: a tensor whose layout the
// schedule chooses (a weight, stored in loop order) always qualifies, any other
// only if the axis indexes no dimension but its last.
bool reads_vectorize_along(const State& s, const Stage& st, int axis) {
  std::unordered_set<const ir::OpNode*> chosen_layout;
  for (int i : s.dag().layout_free_inputs()) chosen_layout.insert(s.dag().inputs()[i].op().get());
  const ir::Expr& v = st.op->axes[axis].var;
  bool ok = true;
  ir::visit(st.op->body, [&](const ir::Expr& e) {
    if (e->kind == ir::ExprKind::Load && !chosen_layout.count(e->tensor.get()))
      for (size_t d = 0; d + 1 < e->operands.size(); ++d) ok = ok && !ir::uses_var(e->operands[d], v);
    return ok;
  });
  return ok;
}

// An accumulator computed inside its consumer's tile (a cache write, or a stage
// fused into its elementwise consumer): a local buffer, which lowering stores with
// a vectorized innermost loop's digit innermost (lower/local_layout.h).
bool has_inner_tile(const Stage& st) {
  return !skipped(st) && is_tiled(st) && st.compute_at == ComputeAtKind::Iter && st.op->has_reduce();
}

}  // namespace

void reorder_inner_tile(const SearchTask& task, State& s, std::mt19937_64& rng, const InnerTileAxes* chosen) {
  for (int id = 0; id < s.num_stages(); ++id) {
    const Stage& st = s.stage(id);
    if (!has_inner_tile(st)) continue;
    int n = static_cast<int>(st.iters.size()), first = n;
    while (first > 0 && st.iters[first - 1].kind == IterKind::Spatial &&
           st.iters[first - 1].annotation == IterAnnotation::None && !has_attached_at(s, id, first - 1))
      --first;
    // The innermost tile: the spatial loops inside the last reduction loop.
    if (first == 0 || first == n || st.iters[first - 1].kind != IterKind::Reduce) continue;
    std::vector<int> candidates;
    for (int i = first; i < n - 1; ++i) {
      int axis = root_axis_of(st, st.iters[i].node);
      if (st.iters[i].extent > 1 && axis >= 0 && axis < st.num_spatial_axes() && reads_vectorize_along(s, st, axis))
        candidates.push_back(i);
    }
    int moved = -1;
    auto given = chosen ? chosen->find(id) : InnerTileAxes::const_iterator{};
    if (chosen && given != chosen->end()) {
      for (int i : candidates)
        if (root_axis_of(st, st.iters[i].node) == given->second) moved = i;
    } else if (!candidates.empty() && std::bernoulli_distribution(task.target.inner_tile_reorder_prob)(rng)) {
      moved = candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng)];
    }
    if (moved < 0) continue;
    std::vector<int> order;
    for (int i = 0; i < n; ++i)
      if (i != moved) order.push_back(i);
    order.push_back(moved);
    s.apply(schedule::reorder_step(id, order));
  }
}

InnerTileAxes inner_tile_axes(const State& s) {
  InnerTileAxes out;
  for (int id = 0; id < s.num_stages(); ++id) {
    const Stage& st = s.stage(id);
    if (!has_inner_tile(st) || st.iters.empty()) continue;
    int axis = root_axis_of(st, st.iters.back().node);
    if (axis >= 0) out[id] = axis;
  }
  return out;
}

void annotate_parallel(const SearchTask& task, State& s) {
  for (int id = 0; id < s.num_stages(); ++id) {
    const Stage& st = s.stage(id);
    if (st.kind == StageKind::Placeholder || st.compute_at != ComputeAtKind::Root) continue;
    parallel_stage(task, s, id, 0);
  }
}

void annotate_vectorize(const SearchTask& task, State& s, std::mt19937_64& rng) {
  for (int id = 0; id < s.num_stages(); ++id) {
    const Stage& st = s.stage(id);
    if (skipped(st)) continue;
    int n = static_cast<int>(st.iters.size());
    int64_t product = 1;
    int fusible = 0;
    while (fusible < n) {
      int i = n - 1 - fusible;
      const auto& it = st.iters[i];
      if (has_attached_at(s, id, i)) break;
      if (it.kind == IterKind::Reduce || it.annotation != IterAnnotation::None) break;
      // In a tiled stage only the innermost loop is known to be contiguous.
      if (is_tiled(st) && fusible != 0) break;
      product *= it.extent;
      if (product > task.hardware().max_vectorize_size) break;
      ++fusible;
    }
    if (fusible > 1) fusible = 1 + std::uniform_int_distribution<int>(0, fusible - 2)(rng);
    if (fusible == 0) continue;
    int first = n - fusible;
    if (fusible > 1) {
      std::vector<int> ids;
      for (int i = first; i < n; ++i) ids.push_back(i);
      s.apply(schedule::fuse_step(id, ids));
    }
    s.apply(schedule::annotation_step(id, first, IterAnnotation::Vectorize));
  }
}

void annotate_unroll(const SearchOptions& options, State& s, std::mt19937_64& rng) {
  for (int id = 0; id < s.num_stages(); ++id) {
    const Stage& st = s.stage(id);
    if (skipped(st) || !st.op->has_reduce()) continue;
    int value = options.auto_unroll_configs[std::uniform_int_distribution<size_t>(
        0, options.auto_unroll_configs.size() - 1)(rng)];
    s.apply(schedule::pragma_step(id, 0, fmt::format("auto_unroll_max_step${}", value)));
  }
}

State annotate_tiled(const SearchTask& task, const SearchOptions& options, State s, std::mt19937_64& rng,
                     const InnerTileAxes* inner_axes) {
  if (task.is_gpu()) return annotate_gpu_tiled(task, options, std::move(s), rng);
  reorder_inner_tile(task, s, rng, inner_axes);
  change_compute_locations(task, s, rng);
  annotate_parallel(task, s);
  annotate_vectorize(task, s, rng);
  annotate_unroll(options, s, rng);
  return s;
}

State annotate_sketch(const SearchTask& task, const SearchOptions& options, const State& sketch,
                      FactorizationCache& cache, std::mt19937_64& rng) {
  return annotate_tiled(task, options, fill_tile_sizes(task, options, sketch, cache, rng), rng);
}

}  // namespace bcd::search
