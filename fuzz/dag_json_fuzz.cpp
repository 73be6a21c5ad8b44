// A compute DAG as JSON (ir/dag_json.h), as a worker receives it with a job: read,
// written again and read back, which must give the same task.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.h"
#include "ir/dag_json.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bcd::fuzz::set_up();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json j = nlohmann::json::parse(bcd::fuzz::text(data, size), nullptr, false);
  if (j.is_discarded()) return 0;  // not JSON: the transport's problem, not the reader's
  bcd::fuzz::expect_error_or_success([&] {
    bcd::ir::ComputeDAG dag = bcd::ir::dag_from_json(j);
    // What was accepted travels on unchanged (reading may add the casts that the
    // constructors add, so the text may differ, but not the task).
    bcd::ir::ComputeDAG again = bcd::ir::dag_from_json(bcd::ir::dag_to_json(dag));
    if (again.workload_key() != dag.workload_key() || again.description() != dag.description() ||
        again.layout_free_inputs() != dag.layout_free_inputs())
      __builtin_trap();
  });
  return 0;
}
