// The structure of a sketch, portable between tasks: what the `sketch` clustering
// compares, how a posterior finds its prior's sketch among its own, and how the
// prior's steps are matched to the posterior's. Steps name stages by index, and the
// indices differ between tasks of the same cluster (a conv2d without padding has
// no pad stage, so every later stage moves up one); TVM's conv2d always has one.
// So stages are named by their operation's name instead, and inlining (which only
// removes an elementwise stage such as the padding) is not part of a sketch's
// structure.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ir/compute_dag.h"
#include "schedule/state.h"
#include "schedule/transform_step.h"

namespace bcd::search {

// How stages are named across tasks. Operation: "<op name>#<how many earlier
// stages have that name>", so the same stage of two tasks has the same key even
// where indices differ. Role: the same, except that an elementwise output of the
// DAG is "output#<its position among the outputs>": the epilogue a fused group
// ends in (a bias add, a residual add, a GELU) is the one stage in which otherwise
// alike tasks differ by name (bert's dense tasks end in add#0, add#1 after an
// inlined add, and gelu#0), while its loops are the anchor's.
enum class StageNaming { Operation, Role };
StageNaming parse_stage_naming(const std::string& name);  // fails naming both
const char* stage_naming_name(StageNaming naming);

// The key of stage `stage_id` of `state`.
std::string stage_key(const schedule::State& state, int stage_id, StageNaming naming = StageNaming::Operation);

// For each of `steps` applied in order to a fresh State of `dag`, the key of the
// stage it applies to at the time it applies (cache and rfactor steps add stages
// and shift the indices after them).
std::vector<std::string> step_stage_keys(const ir::ComputeDAG& dag, const std::vector<schedule::Step>& steps,
                                         StageNaming naming = StageNaming::Operation);

// The sketch's steps with split extents and lengths blanked, stages named by key,
// inlining steps left out: two tasks whose sketches tile, fuse, cache and attach
// the same stages the same way agree.
std::string sketch_signature(const ir::ComputeDAG& dag, const std::vector<schedule::Step>& sketch_steps,
                             StageNaming naming = StageNaming::Operation);
inline std::string sketch_signature(const schedule::State& sketch, StageNaming naming = StageNaming::Operation) {
  return sketch_signature(sketch.dag(), sketch.history(), naming);
}

// Which of `sketches` (States of one task; stages named by operation) the annotated State `steps` of that
// task was sampled from: the one whose steps are a prefix of `steps` up to split
// lengths (annotation only fills lengths and appends steps; mutations keep that
// prefix). nullopt if none is. `signatures` (if given) are the sketches'
// signatures, computed once by a caller that asks about many States.
std::optional<int> sketch_of(const std::vector<schedule::Step>& steps, const std::vector<schedule::State>& sketches,
                             const std::vector<std::string>* signatures = nullptr);

}  // namespace bcd::search
