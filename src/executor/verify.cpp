#include "executor/verify.h"

#include <algorithm>
#include <cmath>

#include "graph/reference_executor.h"
#include "runtime/timer.h"

namespace bcd::executor {

Verification verify_network(Network& network, const graph::Graph& graph, uint64_t seed, double tolerance) {
  std::vector<NDArray> inputs = graph::random_inputs(graph, seed);
  std::vector<const NDArray*> args;
  for (const NDArray& a : inputs) args.push_back(&a);
  return verify_network(network, graph, args, tolerance);
}

Verification verify_network(Network& network, const graph::Graph& graph, const std::vector<const NDArray*>& args,
                            double tolerance) {
  return compare_with_reference(network.run(args), graph, args, tolerance);
}

Verification compare_with_reference(const std::vector<NDArray>& actual, const graph::Graph& graph,
                                     const std::vector<const NDArray*>& args, double tolerance) {
  std::vector<NDArray> expected = graph::run_reference(graph, args);
  Verification v;
  v.tolerance = tolerance;
  v.ok = true;
  for (size_t i = 0; i < actual.size(); ++i) {
    ArrayDiff d = compare_arrays(actual[i], expected[i]);
    v.outputs.push_back(d);
    v.worst.max_abs = std::max(v.worst.max_abs, d.max_abs);
    v.worst.max_rel = std::max(v.worst.max_rel, d.max_rel);
    // Written so that a NaN (infinite error) fails too.
    v.ok = v.ok && d.max_rel <= tolerance && std::isfinite(d.max_abs);
  }
  return v;
}

std::vector<double> time_network(Network& network, const std::vector<const NDArray*>& inputs, int repeat) {
  return runtime::time_function([&] { network.run(inputs); }, {.number = 1, .repeat = repeat});
}

}  // namespace bcd::executor
