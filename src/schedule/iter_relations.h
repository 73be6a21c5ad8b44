// Walking a stage's split/fuse relations: from leaf loop values up to the root
// axes (what a loop nest computes), and root extents down to every iterator (what
// bound inference changes for a stage computed inside another).
#pragma once
#include <vector>

#include "ir/expr.h"
#include "schedule/state.h"

namespace bcd::schedule {

// Extents of every relation node when the root axes have `root_extents` (spatial
// then reduce): split parts keep their declared lengths and the free part becomes
// ceil(parent / product of the others); a fused node is the product of its parts.
std::vector<int64_t> derive_node_extents(const Stage& stage, const std::vector<int64_t>& root_extents);

// The value of every root axis (spatial then reduce) when the leaves (stage.iters
// order) have `leaf_values`. `node_extents` empty means the declared extents.
std::vector<ir::Expr> root_axis_values(const Stage& stage, const std::vector<ir::Expr>& leaf_values,
                                       const std::vector<int64_t>& node_extents);

// A range [base, base + extent) of an iterator: `base` may depend on outer loops.
struct AxisRange {
  ir::Expr base;
  int64_t extent = 1;
};

// Ranges that cover every value the root axes take when each leaf ranges over
// `leaf_ranges` (a fixed loop: {its variable, 1}; a relaxed one: {0, extent}).
// Exact through splits; through a partially relaxed fuse it widens to the full
// extent of the fused parts.
std::vector<AxisRange> root_axis_ranges(const Stage& stage, const std::vector<AxisRange>& leaf_ranges,
                                        const std::vector<int64_t>& node_extents);

}  // namespace bcd::schedule
