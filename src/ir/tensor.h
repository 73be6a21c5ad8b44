// Tensors and the operations that produce them. Every operation has exactly one
// output, so an operation and its output tensor are the same object: a placeholder
// (an input of the subgraph) or a compute operation (out[axes] = body).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "ir/expr.h"

namespace bcd::ir {

enum class OpKind : uint8_t { Placeholder, Compute };

struct OpNode {
  OpKind kind = OpKind::Placeholder;
  std::string name;
  // What the operation is, for descriptions and clustering: "conv2d", "add", "relu".
  // Helper stages that are not part of a description use "pad" (padding) or ""
  // (the inner stages of a composite operator such as softmax, whose last stage
  // carries the operator's tag).
  std::string tag;
  std::vector<int64_t> shape;
  DType dtype = DType::Float;
  // Compute only: one spatial axis per output dimension, the reduction axes (taken
  // from a Reduce at the top of the body), and the body itself.
  std::vector<IterVar> axes;
  std::vector<IterVar> reduce_axes;
  Expr body;
  // Inputs whose memory layout the schedule may choose (TVM's
  // layout_free_placeholders): an operator's constant weights, which a network
  // can store in whatever order its kernel reads them (lower/layout_rewrite.h).
  std::vector<OpRef> layout_free_inputs;

  bool is_placeholder() const { return kind == OpKind::Placeholder; }
  bool is_compute() const { return kind == OpKind::Compute; }
  bool has_reduce() const { return !reduce_axes.empty(); }
  // Distinct tensors loaded by the body, in order of first appearance.
  std::vector<OpRef> inputs() const;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(OpRef op) : op_(std::move(op)) {}

  const OpNode* operator->() const { return op_.get(); }
  const OpNode& operator*() const { return *op_; }
  const OpRef& op() const { return op_; }
  explicit operator bool() const { return op_ != nullptr; }
  int ndim() const { return static_cast<int>(op_->shape.size()); }

  // A load of this tensor: A(i, j) or A({i, j}).
  Expr operator()(std::vector<Expr> indices) const;
  template <typename... Ts>
  Expr operator()(Ts... indices) const {
    return (*this)(std::vector<Expr>{Expr(indices)...});
  }

 private:
  OpRef op_;
};

using ComputeFn = std::function<Expr(const std::vector<Expr>&)>;

Tensor placeholder(std::vector<int64_t> shape, const std::string& name,
                   DType dtype = DType::Float);
// out[i0, i1, ...] = fn({i0, i1, ...}); a Reduce at the top of the returned body
// makes this a reduction whose reduce axes come from the Reduce node.
Tensor compute(std::vector<int64_t> shape, const ComputeFn& fn, const std::string& name,
               const std::string& tag);
// `op` (a compute op nothing reads yet) with those of `inputs` that are
// placeholders declared layout-free (a computed input has a layout of its own).
Tensor with_layout_free_inputs(const Tensor& op, const std::vector<Tensor>& inputs);

}  // namespace bcd::ir
