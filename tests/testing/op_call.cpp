#include "testing/op_call.h"

namespace bcd::testutil {

OpCall prepare_op_call(const ops::OpInstance& inst, std::vector<NDArray>& inputs) {
  OpCall call;
  std::vector<const NDArray*> input_ptrs;
  for (const NDArray& a : inputs) input_ptrs.push_back(&a);
  call.expected = inst.reference(input_ptrs);
  for (NDArray& a : inputs) call.args.push_back(a.data());
  for (const auto& t : inst.dag.outputs()) call.outputs.emplace_back(t->shape).fill(12345.0f);
  for (NDArray& o : call.outputs) call.args.push_back(o.data());
  return call;
}

}  // namespace bcd::testutil
