#include "graph/reference_executor.h"

#include <memory>
#include <random>

#include "graph/op_defs.h"
#include "support/error.h"

namespace bcd::graph {

std::vector<NDArray> run_reference(const Graph& graph, const std::vector<const NDArray*>& inputs) {
  if (inputs.size() != graph.inputs().size())
    fail("run_reference: graph has {} inputs, got {}", graph.inputs().size(), inputs.size());
  std::vector<std::shared_ptr<const NDArray>> values(graph.size());
  // Remaining reads of each value; graph outputs are pinned with one extra use.
  std::vector<int> uses(graph.size(), 0);
  for (const Node& n : graph.nodes())
    for (int in : n.inputs) ++uses[in];
  for (int out : graph.outputs()) ++uses[out];

  for (size_t k = 0; k < inputs.size(); ++k) {
    const Node& n = graph.node(graph.inputs()[k]);
    if (inputs[k]->shape() != n.shape)
      fail("run_reference: input '{}' has shape {}, expected {}", n.name,
           shape_string(inputs[k]->shape()), shape_string(n.shape));
    // Not owned: the caller keeps the input alive for the duration of the call.
    values[n.id] = std::shared_ptr<const NDArray>(inputs[k], [](const NDArray*) {});
  }
  for (const Node& n : graph.nodes()) {
    if (n.op == OpType::Input) continue;
    if (n.op == OpType::Constant) {
      if (uses[n.id] > 0) values[n.id] = graph.constant_value(n.id);
      continue;
    }
    std::vector<const NDArray*> args;
    for (int in : n.inputs) args.push_back(values[in].get());
    values[n.id] = std::make_shared<const NDArray>(node_reference(n, args));
    for (int in : n.inputs)
      if (--uses[in] == 0) values[in].reset();
  }
  std::vector<NDArray> outputs;
  for (int out : graph.outputs()) outputs.push_back(values[out]->copy());
  return outputs;
}

std::vector<NDArray> random_inputs(const Graph& graph, uint64_t seed) {
  std::vector<std::vector<int64_t>> shapes;
  for (int id : graph.inputs()) shapes.push_back(graph.node(id).shape);
  return random_arrays(shapes, seed);
}

}  // namespace bcd::graph
