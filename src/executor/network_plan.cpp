#include "executor/network_plan.h"

#include <algorithm>

#include "support/error.h"

namespace bcd::executor {

NetworkPlan plan_network(const graph::Graph& graph) {
  NetworkPlan plan;
  plan.tasks = graph::extract_tasks(graph);
  plan.input_nodes = graph.inputs();
  const graph::TaskSet& set = plan.tasks;
  const int num_steps = static_cast<int>(set.subgraphs.size());

  // Values: one per subgraph (its output), live from its step to its last reader.
  // Graph outputs stay live past the last step, until they are copied out.
  std::vector<int> node_value(graph.size(), -1);
  std::vector<ValueLifetime> values(num_steps);
  for (int i = 0; i < num_steps; ++i) {
    const graph::Node& out = graph.node(set.subgraphs[i].output);
    node_value[out.id] = i;
    values[i] = {.bytes = shape_size(out.shape) * static_cast<int64_t>(sizeof(float)), .def = i, .last_use = i};
  }
  for (int i = 0; i < num_steps; ++i)
    for (int n : set.subgraphs[i].inputs)
      if (node_value[n] >= 0) values[node_value[n]].last_use = std::max(values[node_value[n]].last_use, i);
  for (int n : graph.outputs())
    if (node_value[n] >= 0) values[node_value[n]].last_use = num_steps;
  plan.memory = plan_memory(values);

  std::vector<int> input_position(graph.size(), -1);
  for (size_t i = 0; i < plan.input_nodes.size(); ++i) input_position[plan.input_nodes[i]] = static_cast<int>(i);
  auto arg_of = [&](int node) -> PlanArg {
    const graph::Node& n = graph.node(node);
    if (n.op == graph::OpType::Input)
      return {.kind = PlanArg::GraphInput, .index = input_position[node], .shape = n.shape};
    if (n.op == graph::OpType::Constant) return {.kind = PlanArg::Constant, .index = node, .shape = n.shape};
    BCD_CHECK(node_value[node] >= 0, "node {} is read before any subgraph computes it", n.name);
    return {.kind = PlanArg::Value, .index = node_value[node], .shape = n.shape};
  };

  for (int i = 0; i < num_steps; ++i) {
    const graph::Subgraph& sg = set.subgraphs[i];
    const ir::ComputeDAG& dag = *set.tasks[set.subgraph_task[i]].dag;
    BCD_CHECK(dag.inputs().size() == sg.inputs.size() && dag.outputs().size() == 1,
              "subgraph {} does not match the arguments of its task", i);
    PlanStep& step = plan.steps.emplace_back();
    step.task = set.subgraph_task[i];
    for (size_t a = 0; a < sg.inputs.size(); ++a) {
      BCD_CHECK(dag.inputs()[a]->shape == graph.node(sg.inputs[a]).shape, "argument {} of subgraph {} has shape {}",
                a, i, shape_string(graph.node(sg.inputs[a]).shape));
      step.args.push_back(arg_of(sg.inputs[a]));
    }
    BCD_CHECK(shape_size(dag.outputs()[0]->shape) == shape_size(graph.node(sg.output).shape),
              "output of subgraph {} does not match its task", i);
    step.args.push_back(arg_of(sg.output));
  }
  for (int n : graph.outputs()) plan.outputs.push_back(arg_of(n));
  return plan;
}

}  // namespace bcd::executor
