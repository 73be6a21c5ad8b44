#include "search/cpu_tiled_default.h"

#include <algorithm>
#include <random>
#include <tuple>

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

// Whether some input of `op` does not depend on spatial axis `a`: each value of
// that input loaded then serves a whole tile along `a` (a convolution's output
// channels reuse its input).
bool reused_along(const ir::OpNode& op, int a) {
  bool found = false;
  ir::visit(op.body, [&](const ir::Expr& e) {
    if (e->kind != ir::ExprKind::Load) return true;
    bool uses = false;
    for (const ir::Expr& index : e->operands) uses = uses || ir::uses_var(index, op.axes[a].var);
    found = found || !uses;
    return false;
  });
  return found;
}

// Which spatial axes carry the vector lanes and the register rows, and their
// innermost tiles. Normally the lanes run along the last (contiguous) axis, and
// the rows along another one (see plan_tiles for which). When the
// last axis gives less than half a vector (111 columns: 3 lanes) and a reused axis
// has a power-of-two tile of at least half a vector (64 output channels: 16), the
// lanes run along that axis (moved innermost) and the rows along the last and,
// where that gives few, a second axis.
struct TilePlan {
  int vector_axis = -1, register_axis = -1, second_register_axis = -1;
  int64_t vector_tile = 1, register_tile = 1, second_register_tile = 1;
  int whole_axis = -1;  // iterated whole inside each parallel iteration (level 1)
};

// Where one vector's block of weights is large (a 3x3 conv 512->512: 295 KB for 16
// output channels), the one spatial axis the registers do not cover runs whole
// inside each parallel iteration, so that a thread reads a block's weights once,
// not once per position of that axis (resnet-18's 7x7 convs streamed all 9.4 MB of
// their weights 3.5 times per thread). Only while the parallel loop keeps 8
// iterations a core.
void choose_whole_axis(const ir::OpNode& op, int64_t cores, TilePlan& p) {
  int64_t reduce = 1;
  for (const auto& r : op.reduce_axes) reduce *= r.extent;
  if (p.vector_axis < 0 || reduce * p.vector_tile * 4 <= 64 * 1024) return;
  int candidate = -1;
  int64_t parallel = 1;
  for (int a = 0; a < static_cast<int>(op.axes.size()); ++a) {
    const int64_t e = op.axes[a].extent;
    if (a == p.vector_axis) parallel *= e / p.vector_tile;
    else if (a == p.register_axis) parallel *= e / p.register_tile;
    else if (a == p.second_register_axis) parallel *= e / p.second_register_tile;
    else if (e > 1) {
      if (candidate >= 0) return;  // two such axes: which to keep parallel is not clear
      candidate = a;
    }
  }
  if (candidate >= 0 && parallel >= 8 * cores) p.whole_axis = candidate;
}

// With the lanes across, the rows: a tile of the last axis times, where its
// divisors give few (111 columns: 3), a tile of a second spatial axis, the largest
// product within 12 accumulators (3x3 rows for squeezenet_v1.1's first conv took it
// from 1.2 to 0.87 ms; 25 was no better). 12 vectors of accumulators leave
// registers for the operands even with AVX2's 16.
void choose_rows(const ir::OpNode& op, int last, TilePlan& p) {
  const int64_t budget = 12;
  int64_t best = 0;
  for (int64_t t1 = 1; t1 <= std::min<int64_t>(budget, op.axes[last].extent); ++t1) {
    if (op.axes[last].extent % t1) continue;
    if (t1 > best) best = t1, p.register_tile = t1, p.second_register_axis = -1, p.second_register_tile = 1;
    for (int a = 0; a < last; ++a) {
      if (a == p.vector_axis) continue;
      const int64_t t2 = largest_divisor_at_most(op.axes[a].extent, budget / t1);
      if (t1 * t2 > best || (t1 * t2 == best && t1 > p.register_tile))
        best = t1 * t2, p.register_tile = t1, p.second_register_axis = a, p.second_register_tile = t2;
    }
  }
}

TilePlan plan_tiles(const ir::OpNode& op, int64_t lanes, int64_t cores) {
  const int spatial = static_cast<int>(op.axes.size());
  TilePlan p;
  if (spatial == 0) return p;
  const int last = spatial - 1;
  const int64_t last_lanes = largest_divisor_at_most(op.axes[last].extent, lanes);
  // 8 vectors of accumulators: 8 rows of lanes that fill at most one vector (13
  // lanes are one 16-lane vector since codegen_c prints such a loop as one vector
  // statement: 8 rows over them took squeezenet_v1.1's 1000-channel conv from 1.16
  // to 0.86 ms), fewer where a row takes two (13 lanes on AVX2).
  const int64_t max_rows = std::max<int64_t>(1, 8 / ((last_lanes + lanes - 1) / lanes));
  // The rows go along the axis that gives the most of them, then a reused one, then
  // the widest. Most rows first: a conv's every axis is reused by some input, and
  // the widest, squeezenet_v1.1's 55 image rows over its 16 output channels, gave
  // one row of 11 lanes (21 GFLOP/s).
  int rows = -1;
  int64_t rows_tile = 0;
  bool rows_reused = false;
  for (int a = 0; a < last; ++a) {
    if (op.axes[a].extent <= 1) continue;
    const int64_t tile = largest_divisor_at_most(op.axes[a].extent, max_rows);
    const bool r = reused_along(op, a);
    const auto key = std::tuple(tile, r, op.axes[a].extent);
    if (rows < 0 || key > std::tuple(rows_tile, rows_reused, op.axes[rows].extent)) {
      rows = a;
      rows_tile = tile;
      rows_reused = r;
    }
  }
  // Where no axis has a divisor giving even half of those rows (13x13 NHWC: 1), the
  // rows take the axis with the largest divisor within 24 vectors of accumulators
  // (12 with AVX2's 16 registers): each weight vector then serves 13 rows, not 1
  // (a 1x1 conv 512->1000 on 13x13 NHWC: 4.7 -> 0.83 ms).
  if (rows >= 0 && 2 * rows_tile <= max_rows) {
    const int64_t vectors_per_row = (last_lanes + lanes - 1) / lanes;
    const int64_t wide = (lanes >= 16 ? 24 : 12) / vectors_per_row;
    for (int a = 0; a < last; ++a) {
      const int64_t tile = largest_divisor_at_most(op.axes[a].extent, wide);
      if (tile > rows_tile) rows = a, rows_tile = tile;
    }
  }
  if (2 * last_lanes < lanes) {
    // A reused axis whose extent has a power-of-two divisor of at least half a vector.
    int across = -1;
    int64_t across_lanes = 0;
    for (int a = 0; a < last; ++a) {
      int64_t pow2 = 1;
      while (pow2 * 2 <= lanes && op.axes[a].extent % (pow2 * 2) == 0) pow2 *= 2;
      if (2 * pow2 >= lanes && pow2 > across_lanes && reused_along(op, a)) across = a, across_lanes = pow2;
    }
    if (across >= 0) {
      TilePlan q{.vector_axis = across, .register_axis = last, .vector_tile = across_lanes};
      choose_rows(op, last, q);
      choose_whole_axis(op, cores, q);
      return q;
    }
  }
  p.vector_axis = last;
  p.vector_tile = last_lanes;
  p.register_axis = rows;
  if (rows >= 0) p.register_tile = rows_tile;
  choose_whole_axis(op, cores, p);
  return p;
}

// The sketch's history replayed with every unknown split length chosen by the
// rules above; nullopt when a split is not of the multi-level tiling's form.
std::optional<State> fill_by_rule(const SearchTask& task, const State& sketch) {
  const int64_t lanes = std::max<int64_t>(1, task.hardware().vector_lanes);
  const int64_t cores = std::max<int64_t>(1, task.hardware().num_cores);
  try {
    return replay_filling_splits(task, sketch, [&](const State& s, const schedule::Step& step) {
      const Stage& st = s.stage(step.stage_id);
      const int axis = st.iters[step.iter_id].node;  // a root axis: the tiling splits each once
      if (axis >= st.num_root_axes()) fail("not a split of the multi-level tiling");
      const TilePlan plan = plan_tiles(*st.op, lanes, cores);
      std::vector<int64_t> lengths(step.lengths.size(), 1);
      if (axis >= st.num_spatial_axes()) lengths.back() = largest_divisor_at_most(step.extent, 16);
      if (axis == plan.vector_axis) lengths.back() = plan.vector_tile;
      if (axis == plan.register_axis) lengths.back() = plan.register_tile;
      if (axis == plan.second_register_axis) lengths.back() = plan.second_register_tile;
      if (axis == plan.whole_axis) lengths.front() = step.extent;
      return lengths;
    });
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<State> cpu_tiled_default_state(const SearchTask& task) {
  if (task.is_gpu()) return std::nullopt;
  bool reduces = false;
  const State initial(task.dag);
  for (const Stage& st : initial.stages()) reduces = reduces || (st.op && st.op->has_reduce());
  if (!reduces) return std::nullopt;
  SearchOptions options;
  // Sketches with a cache write first: the tile's accumulators in a local array stay
  // in registers across the reduction loops. Written straight into the output,
  // clang cannot tell the tile's rows apart (it widens the loop variables to 64 bits
  // but not the 32-bit index sums around them, and alias analysis gives up on the
  // sign-extended sums), so it loads and stores each one around every multiply-add:
  // a 3x3 conv 64->64 on 56x56 NHWC took 2.41 ms so, 0.66 ms with the local tile.
  std::vector<State> sketches = generate_sketches(task);
  std::stable_partition(sketches.begin(), sketches.end(), [](const State& s) {
    return std::any_of(s.history().begin(), s.history().end(),
                       [](const schedule::Step& step) { return step.kind == StepKind::CacheWrite; });
  });
  for (const State& sketch : sketches) {
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
      // Each tiled stage's innermost loop: its plan's vector axis (reorder_inner_tile
      // moves it there when every read allows).
      InnerTileAxes inner;
      const int64_t lanes = std::max<int64_t>(1, task.hardware().vector_lanes);
      const int64_t cores = std::max<int64_t>(1, task.hardware().num_cores);
      for (const auto& [stage, axis] : inner_tile_axes(*filled)) {
        const int planned = plan_tiles(*filled->stage(stage).op, lanes, cores).vector_axis;
        inner[stage] = planned >= 0 ? planned : axis;
      }
      return annotate_tiled(task, options, std::move(*filled), rng, &inner);
    } catch (const Error&) {
      continue;
    }
  }
  return std::nullopt;
}

}  // namespace bcd::search
