#include "executor/network_plan.h"

#include <algorithm>

#include "support/error.h"

namespace bcd::executor {

namespace {

// Whether subgraph `i` is a concatenation that can run in place (PlanOptions), and
// if so makes each input value an alias of its slice of the result. `node_value`:
// node id -> value; `readers`: value -> how many subgraph inputs and graph outputs
// read it; `in_place`: which subgraphs before `i` run no kernel. Where the slices are
// strided (an axis with more than 1s before it), each input's step is given a slice
// writer (`slice_writer_of`: value -> index into `slice_writers`).
bool alias_concat_inputs(const graph::Graph& graph, const graph::TaskSet& set, int i,
                         const std::vector<int>& node_value, const std::vector<int>& readers,
                         const std::vector<bool>& in_place, std::vector<ValueLifetime>& values,
                         std::vector<int>& slice_writer_of, std::vector<SliceWriter>& slice_writers) {
  const graph::Subgraph& sg = set.subgraphs[i];
  if (sg.nodes.size() != 1 || graph.node(sg.nodes[0]).op != graph::OpType::Concat) return false;
  const graph::Node& concat = graph.node(sg.nodes[0]);
  const int64_t rank = static_cast<int64_t>(concat.shape.size());
  const int64_t axis = concat.attrs.axis < 0 ? concat.attrs.axis + rank : concat.attrs.axis;
  bool strided = false;
  for (int64_t d = 0; d < axis; ++d) strided |= concat.shape[d] != 1;
  std::vector<int> inputs;
  for (int n : concat.inputs) {
    const int v = node_value[n];
    // A graph input or constant, a value read elsewhere, one read twice, or one that
    // already lives in another concatenation keeps the copy.
    if (v < 0 || readers[v] != 1 || values[v].alias_of >= 0) return false;
    if (std::find(inputs.begin(), inputs.end(), v) != inputs.end()) return false;
    // A strided slice is written by its producer's kernel, in the shape the graph
    // gives the value.
    if (strided && (in_place[v] || set.tasks[set.subgraph_task[v]].dag->outputs()[0]->shape != graph.node(n).shape))
      return false;
    inputs.push_back(v);
  }
  int64_t inner = sizeof(float);  // bytes of one step along the axis
  for (int64_t d = axis + 1; d < rank; ++d) inner *= concat.shape[d];
  int64_t offset = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const int v = inputs[k];
    values[v].alias_of = i;
    values[v].alias_offset = offset * inner;
    offset += graph.node(concat.inputs[k]).shape[axis];
    values[i].def = std::min(values[i].def, values[v].def);
    if (!strided) continue;
    const SliceWriter writer{.task = set.subgraph_task[v], .array_shape = concat.shape};
    auto it = std::find(slice_writers.begin(), slice_writers.end(), writer);
    slice_writer_of[v] = static_cast<int>(it - slice_writers.begin());
    if (it == slice_writers.end()) slice_writers.push_back(writer);
  }
  return true;
}

}  // namespace

NetworkPlan plan_network(const graph::Graph& graph, const PlanOptions& options) {
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
  // How many subgraph inputs and graph outputs read each value.
  std::vector<int> readers(num_steps, 0);
  for (int i = 0; i < num_steps; ++i)
    for (int n : set.subgraphs[i].inputs)
      if (node_value[n] >= 0) {
        values[node_value[n]].last_use = std::max(values[node_value[n]].last_use, i);
        ++readers[node_value[n]];
      }
  for (int n : graph.outputs())
    if (node_value[n] >= 0) {
      values[node_value[n]].last_use = num_steps;
      ++readers[node_value[n]];
    }
  std::vector<bool> in_place(num_steps, false);
  std::vector<int> slice_writer_of(num_steps, -1);
  if (options.concat_in_place) {
    for (int i = 0; i < num_steps; ++i) {
      in_place[i] = alias_concat_inputs(graph, set, i, node_value, readers, in_place, values, slice_writer_of,
                                        plan.slice_writers);
      plan.concats_in_place += in_place[i];
    }
  }
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
    if (in_place[i]) continue;
    const graph::Subgraph& sg = set.subgraphs[i];
    const ir::ComputeDAG& dag = *set.tasks[set.subgraph_task[i]].dag;
    BCD_CHECK(dag.inputs().size() == sg.inputs.size() && dag.outputs().size() == 1,
              "subgraph {} does not match the arguments of its task", i);
    PlanStep& step = plan.steps.emplace_back();
    step.task = set.subgraph_task[i];
    step.slice_writer = slice_writer_of[i];
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
