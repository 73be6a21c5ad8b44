// One call of an operator's program, set up for comparing it with the operator's
// reference: the expected outputs, output arrays holding a stale value (an
// element the program never writes cannot pass) and the argument pointers.
#pragma once
#include <vector>

#include "ops/registry.h"
#include "support/ndarray.h"

namespace bcd::testutil {

struct OpCall {
  std::vector<NDArray> expected;  // the reference's outputs on the inputs
  std::vector<NDArray> outputs;   // one per DAG output, every element 12345
  std::vector<float*> args;       // the inputs, then the outputs
};

// `inputs` in the DAG's input order; they must outlive the call's args.
OpCall prepare_op_call(const ops::OpInstance& inst, std::vector<NDArray>& inputs);

}  // namespace bcd::testutil
