// The memory planner: buffers are reused once their value's last reader has run,
// never while the value is live, and each buffer is large enough for every value
// placed in it. Checked on hand-made lifetimes with known answers, on random
// lifetimes against those invariants, and on a real network.
#include <gtest/gtest.h>

#include <random>

#include "executor/memory_plan.h"
#include "executor/memory_plan_checks.h"
#include "executor/network.h"
#include "graph/reference_executor.h"

namespace bcd::executor {
namespace {

TEST(ExecutorMemoryPlan, ChainNeedsTwoBuffers) {
  // step i reads value i-1 and writes value i: value i-1's buffer is busy while
  // value i is written, so two buffers alternate. The last value is a graph output
  // and stays live past the end (last_use = number of steps).
  std::vector<ValueLifetime> chain;
  for (int i = 0; i < 6; ++i) chain.push_back({.bytes = 1000, .def = i, .last_use = i == 5 ? 6 : i + 1});
  MemoryPlan plan = plan_memory(chain);
  EXPECT_EQ(plan.unplanned_bytes, 6000);
  EXPECT_EQ(plan.planned_bytes, 2000);
  EXPECT_EQ(plan.value_buffer, (std::vector<int>{0, 1, 0, 1, 0, 1}));
  testutil::expect_valid_plan(plan);
}

TEST(ExecutorMemoryPlan, SmallerValueReusesTheSmallestFreeBufferThatFits) {
  // Values 0 (4000 B) and 1 (1000 B) die at step 2; value 3 (900 B) then takes the
  // 1000-byte buffer, not the 4000-byte one.
  std::vector<ValueLifetime> v = {
      {.bytes = 4000, .def = 0, .last_use = 2},
      {.bytes = 1000, .def = 1, .last_use = 2},
      {.bytes = 500, .def = 2, .last_use = 4},
      {.bytes = 900, .def = 3, .last_use = 4},
  };
  MemoryPlan plan = plan_memory(v);
  EXPECT_EQ(plan.value_buffer[3], plan.value_buffer[1]);
  EXPECT_EQ(plan.planned_bytes, 4000 + 1000 + 500);
  testutil::expect_valid_plan(plan);
}

TEST(ExecutorMemoryPlan, LargerValueGrowsAFreeBufferInsteadOfAddingOne) {
  // Value 0 (1000 B) dies at step 1; value 2 (3000 B) grows its buffer to 3000 B:
  // 2000 more bytes instead of 3000.
  std::vector<ValueLifetime> v = {
      {.bytes = 1000, .def = 0, .last_use = 1},
      {.bytes = 1000, .def = 1, .last_use = 2},
      {.bytes = 3000, .def = 2, .last_use = 3},
  };
  MemoryPlan plan = plan_memory(v);
  EXPECT_EQ(plan.value_buffer[2], plan.value_buffer[0]);
  EXPECT_EQ(plan.buffer_bytes[plan.value_buffer[2]], 3000);
  EXPECT_EQ(plan.planned_bytes, 4000);
  testutil::expect_valid_plan(plan);
}

TEST(ExecutorMemoryPlan, ValueReadByAStepIsNotOverwrittenByThatStepsOutput) {
  // Value 0's last reader is step 1, which writes value 1: they must not share.
  MemoryPlan plan = plan_memory({{.bytes = 64, .def = 0, .last_use = 1}, {.bytes = 64, .def = 1, .last_use = 1}});
  EXPECT_NE(plan.value_buffer[0], plan.value_buffer[1]);
}

TEST(ExecutorMemoryPlan, RandomLifetimesNeverShareALiveBuffer) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int steps = 1 + static_cast<int>(rng() % 40);
    std::vector<ValueLifetime> values;
    for (int s = 0; s < steps; ++s) {
      // Any step after this one may be the last reader, or none (a dead value).
      const int last = s + static_cast<int>(rng() % (steps - s + 1));
      values.push_back({.bytes = static_cast<int64_t>(1 + rng() % 5000), .def = s, .last_use = last});
    }
    std::shuffle(values.begin(), values.end(), rng);  // placed by def, not by index
    MemoryPlan plan = plan_memory(values);
    testutil::expect_valid_plan(plan);
    EXPECT_LE(plan.planned_bytes, plan.unplanned_bytes);
    if (testing::Test::HasFailure()) return;
  }
}

// A chain of five softmax layers: each is an anchor, hence its own subgraph, so the
// network has five values in a row and the plan needs two buffers.
TEST(ExecutorMemoryPlan, ChainNetworkUsesTwoBuffersAndStillComputesTheReference) {
  graph::Graph g;
  int x = g.add_input("x", {4, 16});
  for (int i = 0; i < 5; ++i) x = g.add_op(graph::OpType::Softmax, {x});
  g.mark_output(x);
  Network net = Network::build(g, {});
  const MemoryPlan& plan = net.memory_plan();
  EXPECT_EQ(net.num_steps(), 5);
  EXPECT_EQ(plan.unplanned_bytes, 5 * 4 * 16 * 4);
  EXPECT_EQ(plan.planned_bytes, 2 * 4 * 16 * 4);
  testutil::expect_valid_plan(plan);

  auto inputs = graph::random_inputs(g, 1);
  std::vector<const NDArray*> args = {&inputs[0]};
  std::vector<NDArray> out = net.run(args);
  std::vector<NDArray> ref = graph::run_reference(g, args);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(arrays_close(out[0], ref[0], 1e-5, 1e-6));
  // A second run over the reused buffers gives the same answer.
  EXPECT_TRUE(arrays_close(net.run(args)[0], out[0], 0, 0));
}

}  // namespace
}  // namespace bcd::executor
