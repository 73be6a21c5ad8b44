#include "graph/tasks.h"

#include <cctype>
#include <map>

namespace bcd::graph {

TaskSet extract_tasks(const Graph& graph) {
  TaskSet set;
  set.subgraphs = fuse(graph);
  std::map<std::string, int> by_key;          // workload key -> task index
  std::map<std::string, int> by_description;  // description -> tasks so far
  for (const Subgraph& s : set.subgraphs) {
    auto dag = std::make_shared<const ir::ComputeDAG>(subgraph_dag(graph, s));
    auto [it, inserted] = by_key.emplace(dag->workload_key(), static_cast<int>(set.tasks.size()));
    if (inserted) {
      Task t;
      const int n = by_description[dag->description()]++;
      t.name = n == 0 ? dag->description() : dag->description() + "_" + std::to_string(n);
      t.workload_key = dag->workload_key();
      t.simple = true;
      for (const ir::Tensor& op : dag->ops())
        if (op->is_compute() && op->has_reduce()) t.simple = false;
      t.dag = std::move(dag);
      set.tasks.push_back(std::move(t));
    }
    ++set.tasks[it->second].weight;
    set.subgraph_task.push_back(it->second);
  }
  return set;
}

std::string strip_task_suffix(const std::string& name) {
  const size_t us = name.rfind('_');
  if (us == std::string::npos || us + 1 == name.size()) return name;
  for (size_t i = us + 1; i < name.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return name;
  return name.substr(0, us);
}

}  // namespace bcd::graph
