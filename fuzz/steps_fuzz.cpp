// A State's step history as JSON, replayed on a conv2d and a dense + bias task, then lowered to loops: every step a record or a user can hand over.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.h"
#include "lower/lower.h"
#include "ops/registry.h"
#include "schedule/transform_step.h"

namespace {

const std::vector<bcd::ir::ComputeDAG>& dags() {
  static const std::vector<bcd::ir::ComputeDAG> all = [] {
    std::vector<bcd::ir::ComputeDAG> d;
    d.push_back(bcd::ops::build_op("conv2d", bcd::ops::OpParams::parse("n=1,c=8,h=10,w=10,o=8,kernel=3,pad=1")).dag);
    d.push_back(bcd::ops::build_op("dense", bcd::ops::OpParams::parse("m=16,k=12,n=24,bias=1")).dag);
    return d;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bcd::fuzz::set_up();
  dags();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& dag = dags()[data[0] % dags().size()];
  bcd::fuzz::expect_error_or_success([&] {
    nlohmann::json j = nlohmann::json::parse(bcd::fuzz::text(data + 1, size - 1), nullptr, false);
    if (j.is_discarded()) return;
    bcd::schedule::State s = bcd::schedule::replay(dag, bcd::schedule::history_from_json(j));
    (void)bcd::lower::lower_state(s, "fuzz");
  });
  return 0;
}
