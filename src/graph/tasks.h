// Task extraction: one tuning task per distinct subgraph (by workload key), weighted
// by how many subgraphs of the network it computes.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "graph/fusion.h"
#include "graph/graph.h"
#include "ir/compute_dag.h"

namespace bcd::graph {

struct Task {
  // description() plus "_N" for the N-th further task with the same description, in
  // order of first appearance ("conv2d_add_relu", "conv2d_add_relu_1", ...), like
  // TVM's task names: stripping a trailing "_<digits>" gives the operator cluster.
  std::string name;
  std::string workload_key;
  int weight = 0;  // subgraphs of the network with this workload
  std::shared_ptr<const ir::ComputeDAG> dag;
  // No reduction anywhere (only data movement and elementwise math): TVM leaves such
  // tasks out of tuning unless asked (include_simple_tasks).
  bool simple = false;
};

struct TaskSet {
  std::vector<Subgraph> subgraphs;    // fuse(graph)
  std::vector<Task> tasks;            // in order of first appearance
  std::vector<int> subgraph_task;     // subgraph index -> task index
};

TaskSet extract_tasks(const Graph& graph);

// "conv2d_add_relu_3" -> "conv2d_add_relu"; a name without a "_<digits>" suffix is
// returned unchanged ("max_pool2d" stays: its digits follow a letter).
std::string strip_task_suffix(const std::string& name);

}  // namespace bcd::graph
