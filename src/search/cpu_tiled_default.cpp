#include "search/cpu_tiled_default.h"

#include <random>

#include "ir/expr_functor.h"
#include "schedule/transform_step.h"
#include "search/annotation_rules.h"
#include "search/factorization.h"
#include "search/sketch_rules.h"
#include "support/error.h"

namespace bcd::search {

using schedule::IterKind;
using schedule::Stage;
using schedule::State;
using schedule::StepKind;

namespace {

int64_t largest_divisor_at_most(int64_t extent, int64_t cap) {
  int64_t best = 1;
  for (int64_t d : divisors_of(extent))
    if (d <= cap) best = d;
  return best;
}

// The spatial axis (not the last) of the register tile: preferably one that some
// input does not depend on, so that each value of that input loaded serves the
// whole tile (the output channels of a convolution reuse its input); the widest
// such axis, else the widest; -1 without one.
int register_axis(const ir::OpNode& op) {
  const int spatial = static_cast<int>(op.axes.size());
  auto reused = [&](int a) {
    bool found = false;
    ir::visit(op.body, [&](const ir::Expr& e) {
      if (e->kind != ir::ExprKind::Load) return true;
      bool uses = false;
      for (const ir::Expr& index : e->operands) uses = uses || ir::uses_var(index, op.axes[a].var);
      found = found || !uses;
      return false;
    });
    return found;
  };
  int best = -1;
  bool best_reused = false;
  for (int a = 0; a < spatial - 1; ++a) {
    if (op.axes[a].extent <= 1) continue;
    const bool r = reused(a);
    if (best < 0 || (r && !best_reused) || (r == best_reused && op.axes[a].extent > op.axes[best].extent)) {
      best = a;
      best_reused = r;
    }
  }
  return best;
}

// The sketch's history replayed with every unknown split length chosen by the
// rules above; nullopt when a split is not of the multi-level tiling's form.
std::optional<State> fill_by_rule(const SearchTask& task, const State& sketch) {
  State s(task.dag);
  const int64_t lanes = std::max<int64_t>(1, task.hardware().vector_lanes);
  for (schedule::Step step : sketch.history()) {
    bool unknown = false;
    for (int64_t l : step.lengths) unknown = unknown || l == 0;
    if (step.kind == StepKind::Split && unknown) {
      const Stage& st = s.stage(step.stage_id);
      const int axis = st.iters[step.iter_id].node;  // a root axis: the tiling splits each once
      if (axis >= st.num_root_axes()) return std::nullopt;
      const int spatial = st.num_spatial_axes();
      std::vector<int64_t> lengths(step.lengths.size(), 1);
      if (axis >= spatial) {
        lengths.back() = largest_divisor_at_most(step.extent, 16);
      } else if (axis == spatial - 1) {
        lengths.back() = largest_divisor_at_most(step.extent, lanes);
      } else if (axis == register_axis(*st.op)) {
        // 8 rows of accumulators over an even vector tile; 4 over an odd one (13
        // or 7 lanes), where 8 made squeezenet_v1.1's 1000-channel conv 6x slower.
        const int64_t last = st.op->axes[spatial - 1].extent;
        lengths.back() = largest_divisor_at_most(step.extent, largest_divisor_at_most(last, lanes) % 2 ? 4 : 8);
      }
      step.lengths = lengths;
    }
    try {
      s.apply(step);
    } catch (const Error&) {
      return std::nullopt;
    }
  }
  return s;
}

}  // namespace

std::optional<State> cpu_tiled_default_state(const SearchTask& task) {
  if (task.is_gpu()) return std::nullopt;
  bool reduces = false;
  const State initial(task.dag);
  for (const Stage& st : initial.stages()) reduces = reduces || (st.op && st.op->has_reduce());
  if (!reduces) return std::nullopt;
  SearchOptions options;
  for (const State& sketch : generate_sketches(task)) {
    bool tiled = false;
    for (const auto& step : sketch.history())
      tiled = tiled || (step.kind == StepKind::Split && step.lengths.size() >= 3);
    if (!tiled) continue;
    std::optional<State> filled = fill_by_rule(task, sketch);
    if (!filled) continue;
    try {
      // A fixed seed: the remaining choices (how many inner loops to vectorize, the
      // unroll depth) are drawn, but always the same way.
      std::mt19937_64 rng(0);
      InnerTileAxes keep_order;  // every stage keeps its inner tile's order
      for (const auto& [stage, axis] : inner_tile_axes(*filled)) keep_order[stage] = axis;
      return annotate_tiled(task, options, std::move(*filled), rng, &keep_order);
    } catch (const Error&) {
      continue;
    }
  }
  return std::nullopt;
}

}  // namespace bcd::search
