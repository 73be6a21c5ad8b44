#include "ir/tensor.h"

#include <unordered_set>

#include "ir/expr_functor.h"
#include "support/error.h"
#include "support/ndarray.h"

namespace bcd::ir {

std::vector<OpRef> OpNode::inputs() const {
  std::vector<OpRef> result;
  if (!body) return result;
  std::unordered_set<const OpNode*> seen;
  visit(body, [&](const Expr& e) {
    if (e->kind == ExprKind::Load && seen.insert(e->tensor.get()).second)
      result.push_back(e->tensor);
    return true;
  });
  return result;
}

Expr Tensor::operator()(std::vector<Expr> indices) const {
  return load(op_, std::move(indices));
}

Tensor placeholder(std::vector<int64_t> shape, const std::string& name, DType dtype) {
  for (int64_t d : shape)
    if (d <= 0) fail("placeholder {} has invalid shape {}", name, shape_string(shape));
  auto op = std::make_shared<OpNode>();
  op->kind = OpKind::Placeholder;
  op->name = name;
  op->tag = "placeholder";
  op->shape = std::move(shape);
  op->dtype = dtype;
  return Tensor(op);
}

Tensor compute(std::vector<int64_t> shape, const ComputeFn& fn, const std::string& name,
               const std::string& tag) {
  for (int64_t d : shape)
    if (d <= 0) fail("{} has invalid output shape {}", name, shape_string(shape));
  auto op = std::make_shared<OpNode>();
  op->kind = OpKind::Compute;
  op->name = name;
  op->tag = tag;
  op->shape = shape;
  std::vector<Expr> vars;
  for (size_t i = 0; i < shape.size(); ++i) {
    op->axes.push_back(spatial_axis(shape[i], name + "_i" + std::to_string(i)));
    vars.push_back(op->axes.back().var);
  }
  op->body = fn(vars);
  BCD_CHECK(op->body, "compute {} returned a null body", name);
  if (op->body->kind == ExprKind::Reduce) op->reduce_axes = op->body->reduce_axes;
  visit(op->body, [&](const Expr& e) {
    BCD_CHECK(e.same_as(op->body) || e->kind != ExprKind::Reduce,
              "reduction nested inside the body of {}", name);
    return true;
  });
  // Every tensor is float32; an integer or boolean body is converted.
  if (op->body->dtype != DType::Float) {
    BCD_CHECK(op->body->kind != ExprKind::Reduce, "non-float reduction in {}", name);
    op->body = cast(DType::Float, op->body);
  }
  op->dtype = DType::Float;
  return Tensor(op);
}

Tensor with_layout_free_inputs(const Tensor& op, const std::vector<Tensor>& inputs) {
  BCD_CHECK(op->is_compute(), "{} is not a compute op", op->name);
  auto copy = std::make_shared<OpNode>(*op);
  for (const Tensor& t : inputs)
    if (t->is_placeholder()) copy->layout_free_inputs.push_back(t.op());
  return Tensor(copy);
}

}  // namespace bcd::ir
