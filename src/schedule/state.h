// The loop State of a task (Ansor's schedule representation): one stage per
// operation, each with its ordered loop iterators and an attachment. A State also
// keeps the history of transform steps that produced it; the history *is* the
// schedule: records store it and replay re-applies it (see transform_step.h).
//
// Each stage keeps the graph of iterator relations its steps built (split: one
// iterator into several; fuse: several into one) over iterator nodes: the op's root
// axes first (spatial, then reduce), then every iterator a step created. The leaf
// iterators, in loop order, are `iters`. Lowering walks this graph to express every
// root axis in terms of the leaf loops.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/compute_dag.h"

namespace bcd::schedule {

// -1 marks an extent a sketch left unknown (a split length to be filled in).
constexpr int64_t kUnknownExtent = -1;

enum class IterAnnotation : uint8_t {
  None, Unroll, Vectorize, Parallel, VThread,
  BlockIdxX, BlockIdxY, BlockIdxZ, ThreadIdxX, ThreadIdxY, ThreadIdxZ,
};
const char* annotation_name(IterAnnotation a);
IterAnnotation annotation_from_name(const std::string& name);  // fails on unknown

enum class IterKind : uint8_t { Spatial, Reduce, Mixed };

struct Iterator {
  std::string name;
  int64_t extent = 0;  // or kUnknownExtent
  IterKind kind = IterKind::Spatial;
  IterAnnotation annotation = IterAnnotation::None;
  int node = 0;  // this iterator's node in the stage's relation graph
};

struct IterRelation {
  enum Kind : uint8_t { Split, Fuse } kind;
  std::vector<int> inputs;   // Split: {parent};        Fuse: fused nodes, outer first
  std::vector<int> outputs;  // Split: outer ... inner; Fuse: {fused}
  // Split only: which output's extent is derived from the others (the outermost
  // when splitting inner-to-outer, else the innermost), for re-deriving extents
  // when bound inference shrinks the parent.
  int free_output = 0;
};

enum class ComputeAtKind : uint8_t { Root, Inlined, Iter };
enum class StageKind : uint8_t { Placeholder, Compute };

struct Stage {
  ir::OpRef op;
  StageKind kind = StageKind::Compute;
  std::vector<Iterator> iters;
  std::vector<int64_t> node_extents;  // declared extent of every relation node
  std::vector<IterKind> node_kinds;
  std::vector<std::string> node_names;
  std::vector<IterRelation> relations;
  ComputeAtKind compute_at = ComputeAtKind::Root;
  int attach_stage = -1;  // ComputeAtKind::Iter: the consumer stage ...
  int attach_node = -1;   // ... and the node of its iterator we are computed at
  int64_t auto_unroll_max_step = 0;
  int storage_align_axis = -1;  // StorageAlign: axis, factor, offset of the buffer
  int64_t storage_align_factor = 0;
  int64_t storage_align_offset = 0;
  int output_index = -1;  // position among the DAG outputs, or -1
  int input_index = -1;   // position among the DAG inputs, or -1
  std::string scope = "global";  // buffer scope requested by a cache step

  int num_spatial_axes() const { return static_cast<int>(op->axes.size()); }
  int num_root_axes() const { return static_cast<int>(op->axes.size() + op->reduce_axes.size()); }
  // Index in `iters` of the leaf on `node`, or -1.
  int leaf_index(int node) const;
};

struct Step;

class State {
 public:
  explicit State(const ir::ComputeDAG& dag);

  const ir::ComputeDAG& dag() const { return *dag_; }
  const std::vector<Stage>& stages() const { return stages_; }
  const Stage& stage(int id) const;
  Stage& mutable_stage(int id);
  const std::vector<Step>& history() const { return *history_; }
  int num_stages() const { return static_cast<int>(stages_.size()); }

  // Stage ids that read stage `id` (directly).
  std::vector<int> consumers(int id) const;
  std::vector<int> producers(int id) const;
  // Consumers seen through inlined stages: the stages that will actually contain
  // the loads of `id` after inlining.
  std::vector<int> effective_consumers(int id) const;
  // Stages attached at stage `id` (at any of its iterators), in stage order.
  std::vector<int> attached_stages(int id) const;
  // Index of the stage computing `op`, or -1.
  int stage_of(const ir::OpNode* op) const;

  // Applies a step (validating it first; an invalid step fails with a clear
  // message and leaves the State unchanged) and appends it to the history.
  void apply(const Step& step);

  // Fails if a stage is computed at a stage that is not its only consumer.
  void check_attachments() const;

  // A string that is equal for two States exactly when their loop structures and
  // parameters are equal: the stages' iterators (names, extents, annotations),
  // attachments and pragmas.
  std::string canonical_string() const;
  // True if some split length is still unknown.
  bool has_unknown_extents() const;

  // Internal helpers for the steps.
  void insert_stage(int at, Stage stage);
  // Rebuilds the stages from `first_stage` on so that loads of a replaced op read
  // its replacement; a rebuilt stage's old op is replaced in turn, so the change
  // travels down to every consumer. `retarget(stage, tensor)`, if given, may send
  // a stage's loads of a tensor elsewhere first (cache_read uses it for readers).
  using Retarget = std::function<ir::OpRef(int, const ir::OpRef&)>;
  void redirect_loads(std::vector<std::pair<const ir::OpNode*, ir::OpRef>> replaced, int first_stage,
                      const Retarget& retarget = nullptr);
  std::vector<Step>& mutable_history();

 private:
  std::shared_ptr<const ir::ComputeDAG> dag_;
  std::vector<Stage> stages_;
  std::shared_ptr<std::vector<Step>> history_;  // copy-on-write (see mutable_history)
};

// A stage for an operation, with one iterator per root axis.
Stage make_stage(const ir::OpRef& op);

}  // namespace bcd::schedule
