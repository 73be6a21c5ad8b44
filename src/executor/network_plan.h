// What a network does, as data: its steps (one kernel call per fused subgraph, in
// topological order), where each step reads its arguments and writes its output,
// and the memory plan that places the intermediate values. Network (network.h)
// turns it into pointers and runs it in this process; the package writer
// (package/package_writer.h) turns it into offsets and generated code.
//
// Kernel argument order: a task's DAG has one placeholder per Subgraph::inputs
// entry, in that order, and one output (graph::subgraph_dag); lowering keeps the
// DAG's inputs then outputs as the kernel's parameters. Subgraphs that share a task
// have the same workload key, whose canonical string lists the placeholders in
// argument order, so the same kernel fits each of them with its own arguments.
#pragma once
#include <cstdint>
#include <vector>

#include "executor/memory_plan.h"
#include "executor/task_kernels.h"
#include "graph/graph.h"
#include "graph/tasks.h"

namespace bcd::executor {

// Where a kernel argument, or a network output, lives.
struct PlanArg {
  enum Kind : uint8_t { GraphInput, Constant, Value } kind = Value;
  // GraphInput: position in graph.inputs(); Constant: the constant's node id;
  // Value: the step that computes it (its buffer: memory.value_buffer[index]).
  int index = -1;
  std::vector<int64_t> shape;  // of the graph node it holds
};

struct PlanStep {
  int task = -1;
  // -1: the task's kernel writes its output array. Otherwise the output is a strided
  // slice of a concatenation done in place, written by NetworkPlan::slice_writers[i].
  int slice_writer = -1;
  std::vector<PlanArg> args;  // the task DAG's inputs, then its output (a Value)
};

struct NetworkPlan {
  graph::TaskSet tasks;
  // One per subgraph that runs a kernel, in execution order: all but the
  // concatenations done in place.
  std::vector<PlanStep> steps;
  MemoryPlan memory;                     // value i = subgraph i's output
  int concats_in_place = 0;              // subgraphs that run no kernel
  std::vector<SliceWriter> slice_writers;  // the kernels the steps' slice_writer name
  std::vector<PlanArg> outputs;          // graph.outputs() order
  std::vector<int> input_nodes;          // graph.inputs()
};

struct PlanOptions {
  // A subgraph that only concatenates runs no kernel where every input is a value
  // only it reads: the producers write their outputs straight into their slices
  // (memory_plan.h's aliases). Along an axis with nothing but 1s before it (NCHW
  // channels) each slice is one contiguous block and the producers' kernels are
  // unchanged; along any other (NHWC channels) each producer's step runs a slice
  // writer, its task's kernel addressing the output with the concatenation's strides,
  // so an input must come from a kernel of its own, in the graph's shape.
  // squeezenet_v1.1's 8 copies took 0.3 ms of 5.7 untuned in NCHW, 0.48 of 3.3 tuned
  // in NHWC. Off on GPUs, whose memory mirrors whole host buffers (device_mirror.h).
  bool concat_in_place = true;
};

// Fails (BCD_CHECK) when a subgraph does not match its task's arguments.
NetworkPlan plan_network(const graph::Graph& graph, const PlanOptions& options = {});

}  // namespace bcd::executor
