// Transform steps: the edits that turn the default State into a schedule. Each
// step validates itself against a State (failing with a clear message), applies to
// it, and serializes to and from JSON (the records format). Steps name stages by
// index and iterators by index in the stage's current loop order, as Ansor does.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "schedule/state.h"

namespace bcd::schedule {

enum class StepKind : uint8_t {
  Split, FollowSplit, FollowFusedSplit, Fuse, Reorder, Annotation, Pragma,
  ComputeAt, ComputeInline, ComputeRoot, CacheRead, CacheWrite, Rfactor, StorageAlign,
};

struct Step {
  StepKind kind = StepKind::Split;
  int stage_id = 0;
  int iter_id = 0;
  // Split: the extent split (as recorded), the lengths of all parts but the free
  // one (0 = unknown, a sketch's placeholder), and the direction.
  int64_t extent = 0;
  std::vector<int64_t> lengths;
  bool inner_to_outer = true;
  // Fuse: iterators to fuse (consecutive). Reorder: the new order of all iterators.
  std::vector<int> iter_ids;
  IterAnnotation annotation = IterAnnotation::None;
  std::string pragma;  // "auto_unroll_max_step$N"
  // ComputeAt: target stage and iterator.
  int target_stage_id = 0;
  int target_iter_id = 0;
  // CacheRead / CacheWrite: buffer scope ("local", "shared"); CacheRead: readers.
  std::string scope;
  std::vector<int> reader_stage_ids;
  // Rfactor: the reduction iterator to factor out and where the new axis goes.
  int factor_iter_id = 0;
  // StorageAlign.
  int64_t align_factor = 0;
  int64_t align_offset = 0;
  // FollowSplit: a Split step to copy (first n_split lengths); FollowFusedSplit:
  // Split steps whose lengths at `level` multiply into the factor (or nparts).
  int src_step_id = 0;
  int n_split = 0;
  std::vector<int> src_step_ids;
  int level = 0;
  bool factor_or_nparts = true;
};

const char* step_kind_name(StepKind kind);  // Ansor's record codes: "SP", "CA", ...

// Throws bcd::Error if the step cannot apply to the state; else applies it.
void apply_step(State& state, const Step& step);

nlohmann::json step_to_json(const Step& step);
Step step_from_json(const nlohmann::json& j);  // fails on malformed input
nlohmann::json history_to_json(const std::vector<Step>& steps);
std::vector<Step> history_from_json(const nlohmann::json& j);

// A fresh State of `dag` with `steps` applied in order.
State replay(const ir::ComputeDAG& dag, const std::vector<Step>& steps);

// Convenience constructors, used by the search rules, tests and hand schedules.
Step split_step(int stage, int iter, int64_t extent, std::vector<int64_t> lengths,
                bool inner_to_outer = true);
Step follow_split_step(int stage, int iter, int src_step, int n_split);
Step follow_fused_split_step(int stage, int iter, std::vector<int> src_steps, int level,
                             bool factor_or_nparts);
Step fuse_step(int stage, std::vector<int> iters);
Step reorder_step(int stage, std::vector<int> order);
Step annotation_step(int stage, int iter, IterAnnotation annotation);
Step pragma_step(int stage, int iter, const std::string& pragma);
Step compute_at_step(int stage, int target_stage, int target_iter);
Step compute_inline_step(int stage);
Step compute_root_step(int stage);
Step cache_read_step(int stage, const std::string& scope, std::vector<int> readers);
Step cache_write_step(int stage, const std::string& scope);
Step rfactor_step(int stage, int iter, int factor_iter);
Step storage_align_step(int stage, int iter, int64_t factor, int64_t offset);

}  // namespace bcd::schedule
