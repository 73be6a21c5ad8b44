// Our pointwise operators that are exactly one ONNX node of the same name and
// meaning, for the writer and the importer alike: a new one is one row here.
#pragma once
#include <string>

#include "graph/graph.h"

namespace bcd::frontends::onnx_format {

struct PointwiseOp {
  graph::OpType op;
  const char* onnx;
  int inputs;
};

inline constexpr PointwiseOp kPointwiseOps[] = {
    {graph::OpType::Relu, "Relu", 1},       {graph::OpType::Sigmoid, "Sigmoid", 1},
    {graph::OpType::Tanh, "Tanh", 1},       {graph::OpType::Sqrt, "Sqrt", 1},
    {graph::OpType::Exp, "Exp", 1},         {graph::OpType::Log, "Log", 1},
    {graph::OpType::Erf, "Erf", 1},         {graph::OpType::Abs, "Abs", 1},
    {graph::OpType::Neg, "Neg", 1},         {graph::OpType::Reciprocal, "Reciprocal", 1},
    {graph::OpType::Add, "Add", 2},         {graph::OpType::Subtract, "Sub", 2},
    {graph::OpType::Multiply, "Mul", 2},    {graph::OpType::Divide, "Div", 2},
    {graph::OpType::Pow, "Pow", 2},
};

inline const PointwiseOp* pointwise_by_onnx(const std::string& name) {
  for (const PointwiseOp& p : kPointwiseOps)
    if (name == p.onnx) return &p;
  return nullptr;
}

inline const PointwiseOp* pointwise_by_op(graph::OpType op) {
  for (const PointwiseOp& p : kPointwiseOps)
    if (op == p.op) return &p;
  return nullptr;
}

}  // namespace bcd::frontends::onnx_format
