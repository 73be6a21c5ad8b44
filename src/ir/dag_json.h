// A compute DAG as JSON, so that a task can travel to another machine (a job per
// candidate) and be rebuilt there with the same workload key, description,
// layout-free inputs and behaviour. Small on purpose: expressions are nested arrays,
// variables are named by position, and whatever ir::compute derives is left out.
//
// The format (version 1), for C = sum_k A[i, k] * B[k, j] followed by a relu (keys
// in any order; dag_to_json writes them sorted, tests/ir/dag_json_test.cpp has the
// exact text):
//
//   {"ops":[{"name":"A","shape":[4,6]},
//           {"name":"B","shape":[6,5]},
//           {"name":"C","tag":"matmul","shape":[4,5],"reduce":[[6,"k"]],
//            "body":["reduce","sum",["*",["load",0,"a0","r0"],["load",1,"r0","a1"]]]},
//           {"name":"D","tag":"relu","shape":[4,5],"body":["max",["load",2,"a0","a1"],0.0]}],
//    "outputs":[3],"v":1}
//
// - "ops": ComputeDAG::ops() in order; an op refers to another by its index here.
//   An op without "body" is a placeholder ("dtype": "float" (default), "int" or
//   "bool"); the placeholders are the DAG's inputs, in the order listed. A compute
//   op has "body", an optional "tag" (default ""), optional "reduce" (its reduction
//   axes as [extent, name]) and optional "layout_free" (indices of the placeholders
//   it declares layout-free). Its spatial axes are those ir::compute gives: one per
//   dimension of "shape", named "<name>_i<k>".
// - "outputs": indices of the DAG's outputs, in order.
// - Expressions: a JSON integer is an int immediate, a JSON float (written with a
//   '.' or an exponent; nlohmann writes finite doubles so that they read back bit
//   for bit) a float immediate, true/false a bool immediate, "a<k>" spatial axis k
//   and "r<k>" reduction axis k of the op. Anything else is an array
//   [kind, operands...]: the binary kinds by kind_name ("+", "floordiv", "<=",
//   "&&", ...), "!", "select", "castf"/"casti"/"castb" (cast to float/int/bool), the
//   math calls by call_name ("exp", "pow", ...), ["load", op index, indices...],
//   ["reduce", "sum"|"max"|"min", source] (only as a whole body, over all the op's
//   "reduce" axes) and ["float", "inf"|"-inf"|"nan"|"-nan"] for the non-finite
//   floats that JSON numbers cannot hold (an imported constant may be one).
//
// Reading is strict: anything malformed (a wrong type, a missing or unknown field, an
// unknown kind, an index out of range or of a later op, a wrong operand count, a
// non-positive extent, nesting deeper than 512, more than 1024 ops or 32 axes)
// fails with a one-line bcd::Error, and nothing it accepts makes the ir constructors
// fail their internal checks.
#pragma once
#include <nlohmann/json.hpp>

#include "ir/compute_dag.h"

namespace bcd::ir {

// Fails (bcd::Error) on a body nested deeper than dag_from_json reads.
nlohmann::json dag_to_json(const ComputeDAG& dag);
ComputeDAG dag_from_json(const nlohmann::json& j);

}  // namespace bcd::ir
