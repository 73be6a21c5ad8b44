#include "runtime/run_dag.h"

#include "codegen/codegen_c.h"
#include "lower/lower.h"
#include "runtime/module.h"
#include "support/error.h"

namespace bcd::runtime {

std::vector<NDArray> run_dag_default(const ir::ComputeDAG& dag,
                                     const std::vector<const NDArray*>& inputs) {
  if (inputs.size() != dag.inputs().size())
    fail("{} inputs given, the kernel takes {}", inputs.size(), dag.inputs().size());
  std::vector<float*> args;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i]->shape() != dag.inputs()[i]->shape)
      fail("input {} has shape {}, expected {}", dag.inputs()[i]->name,
           shape_string(inputs[i]->shape()), shape_string(dag.inputs()[i]->shape));
    args.push_back(const_cast<float*>(inputs[i]->data()));  // kernels never write inputs
  }
  std::vector<NDArray> outputs;
  for (const auto& t : dag.outputs()) outputs.emplace_back(t->shape);
  for (auto& o : outputs) args.push_back(o.data());
  Module module = Module::from_source(codegen::codegen_c({lower::lower_default(dag, "default_kernel")}));
  module.get("default_kernel").run(args);
  return outputs;
}

}  // namespace bcd::runtime
