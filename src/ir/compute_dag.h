// The compute DAG of one subgraph (a "task"): its operations in topological order,
// the FLOP count, a stable workload key, a readable description, and the access
// analysis that the search rules consult.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/tensor.h"

namespace bcd::ir {

// What the search rules need to know about each operation (Ansor's access analyzer).
struct OpAccessInfo {
  bool is_injective = false;  // compute without reduction
  // Injective, without expensive math calls and without branches: inlining it
  // into its consumers (when it is not an output) never hurts (Ansor's CPU rule).
  bool is_strictly_inlineable = false;
  // Has a reduction and reuses some input across spatial axes (conv, dense,
  // matmul): worth multi-level tiling.
  bool needs_multi_level_tiling = false;
  bool is_output = false;
  // For each tensor read (by DAG index): the index lists of its loads.
  std::unordered_map<int, std::vector<std::vector<Expr>>> reads;
  // Tensors (by DAG index) whose every load is exactly out-axes -> same indices.
  std::unordered_map<int, bool> is_elementwise_read;
  std::vector<int> consumers;  // DAG indices of ops that read this one
};

class ComputeDAG {
 public:
  // `inputs` are the placeholders in argument order; every placeholder reachable from
  // `outputs` must be among them. Kernel arguments are inputs then outputs.
  ComputeDAG(std::vector<Tensor> inputs, std::vector<Tensor> outputs);

  // All operations, placeholders included, in a deterministic topological order.
  const std::vector<Tensor>& ops() const { return ops_; }
  const std::vector<Tensor>& inputs() const { return inputs_; }
  const std::vector<Tensor>& outputs() const { return outputs_; }
  // Index in ops(), or -1.
  int index_of(const OpNode* op) const;
  const OpAccessInfo& access(int op_index) const { return access_[op_index]; }

  // Floating-point operations of one execution.
  double flop_count() const { return flops_; }
  // Structure and shapes, independent of names: the identity of a task.
  const std::string& canonical_string() const { return canonical_; }
  // 16 hex digits of a stable hash of canonical_string().
  const std::string& workload_key() const { return key_; }
  // Tags of the compute ops joined by '_', e.g. "conv2d_add_relu".
  const std::string& description() const { return description_; }
  // Indices in inputs() of the placeholders some op declares layout-free, ascending.
  const std::vector<int>& layout_free_inputs() const { return layout_free_inputs_; }

 private:
  void analyze();
  std::vector<Tensor> inputs_, outputs_, ops_;
  std::unordered_map<const OpNode*, int> index_;
  std::vector<OpAccessInfo> access_;
  double flops_ = 0;
  std::string canonical_, key_, description_;
  std::vector<int> layout_free_inputs_;
};

// The per-op parts of the access analysis, usable on ops a schedule creates
// (cache and rfactor stages) as well as on the DAG's own.
bool needs_multi_level_tiling(const OpNode& op);
// No reduction and no expensive math call: cheap to recompute in a consumer.
bool is_cheap_injective(const OpNode& op);
// Cheap injective and branch-free. A branch (a padded read, a concat) inlined into
// a consumer's inner loop costs a conditional load per use, which blocks
// vectorization; where such a stage goes is left to the search (TVM's
// AccessAnalyzer: has_branch makes an op not strictly inlineable).
bool is_strictly_inlineable(const OpNode& op);

// True if the expression calls an expensive math function (exp, erf, ...).
bool has_expensive_call(const Expr& e);
// True if the expression holds a Select (a branch).
bool has_branch(const Expr& e);
// Floating-point operations of evaluating `e` once.
double expr_flops(const Expr& e);

}  // namespace bcd::ir
