// Concatenations done in place (executor/network_plan.h, PlanOptions): the
// producers of a concatenation write straight into their slices of the result
// (through slice writers where the slices are strided), and the concatenation runs
// no kernel; where an input is read elsewhere or is not a computed value, the copy
// stays. Each case computes what the reference executor does.
#include <gtest/gtest.h>

#include "executor/memory_plan_checks.h"
#include "executor/network.h"
#include "executor/network_plan.h"
#include "frontends/zoo.h"
#include "graph/convert_layout.h"
#include "graph/reference_executor.h"
#include "support/error.h"

namespace bcd::executor {
namespace {

using graph::OpType;

// Builds the network, checks its plan and its output against the reference, and
// returns how many concatenations ran in place.
int concats_in_place(const graph::Graph& g) {
  const NetworkPlan plan = plan_network(g);
  testutil::expect_valid_plan(plan.memory);
  EXPECT_EQ(plan.steps.size() + plan.concats_in_place, plan.tasks.subgraphs.size());
  Network net = Network::build(g, {});
  EXPECT_EQ(net.num_steps(), static_cast<int>(plan.steps.size()));
  auto inputs = graph::random_inputs(g, 5);
  std::vector<const NDArray*> args;
  for (const NDArray& a : inputs) args.push_back(&a);
  std::vector<NDArray> out = net.run(args), ref = graph::run_reference(g, args);
  EXPECT_EQ(out.size(), ref.size());
  for (size_t o = 0; o < out.size() && o < ref.size(); ++o) EXPECT_TRUE(arrays_close(out[o], ref[o], 1e-4, 1e-5));
  // Again over the reused buffers: the same answer.
  std::vector<NDArray> again = net.run(args);
  for (size_t o = 0; o < out.size(); ++o) EXPECT_TRUE(arrays_close(again[o], out[o], 0, 0));
  return plan.concats_in_place;
}

graph::NodeAttrs axis(int64_t a) {
  graph::NodeAttrs attrs;
  attrs.axis = a;
  return attrs;
}

// Two softmax layers of x concatenated along `concat_axis`, then a softmax of that.
graph::Graph two_branches(int64_t concat_axis, bool also_output_a = false) {
  graph::Graph g;
  int x = g.add_input("x", {1, 6, 10});
  int a = g.add_op(OpType::Softmax, {x}, axis(2));
  int b = g.add_op(OpType::Softmax, {x}, axis(1));
  int c = g.add_op(OpType::Concat, {a, b}, axis(concat_axis));
  g.mark_output(g.add_op(OpType::Softmax, {c}, axis(2)));
  if (also_output_a) g.mark_output(a);
  return g;
}

TEST(ConcatInPlace, ProducersWriteIntoTheirSlicesAndTheCopyDisappears) {
  EXPECT_EQ(concats_in_place(two_branches(1)), 1);
  EXPECT_EQ(concats_in_place(two_branches(-2)), 1);  // the same axis, from the end
}

TEST(ConcatInPlace, StridedSlicesAreWrittenBySliceWritersOfTheProducersTasks) {
  // Rows of 10 from a and from b interleave in the rows of 20 of the result.
  const graph::Graph g = two_branches(2);
  EXPECT_EQ(concats_in_place(g), 1);
  const NetworkPlan plan = plan_network(g);
  ASSERT_EQ(plan.slice_writers.size(), 2u);
  for (const SliceWriter& w : plan.slice_writers) EXPECT_EQ(w.array_shape, (std::vector<int64_t>{1, 6, 20}));
  int writing = 0;
  for (const PlanStep& step : plan.steps)
    if (step.slice_writer >= 0) {
      ++writing;
      EXPECT_EQ(plan.slice_writers[step.slice_writer].task, step.task);
    }
  EXPECT_EQ(writing, 2);
  // b's slice starts 10 floats into each row of the result.
  EXPECT_EQ(plan.memory.value_offset[1], 10 * static_cast<int64_t>(sizeof(float)));
  EXPECT_TRUE(plan_network(two_branches(1)).slice_writers.empty());  // contiguous: the plain kernels
}

TEST(ConcatInPlace, TheCopyStaysWhereAnInputIsNeededElsewhere) {
  EXPECT_EQ(concats_in_place(two_branches(1, true)), 0);  // a is also an output
  EXPECT_EQ(concats_in_place(two_branches(2, true)), 0);
  graph::Graph g;  // a graph input concatenated directly
  int x = g.add_input("x", {1, 6, 10});
  int a = g.add_op(OpType::Softmax, {x}, axis(2));
  g.mark_output(g.add_op(OpType::Softmax, {g.add_op(OpType::Concat, {a, x}, axis(1))}, axis(2)));
  EXPECT_EQ(concats_in_place(g), 0);
}

TEST(ConcatInPlace, TheNetworksOutputTooAndThreeInputs) {
  // The producers write into the caller's output array (a package's out[0] + offset).
  graph::Graph g;
  int x = g.add_input("x", {1, 6, 10});
  int a = g.add_op(OpType::Softmax, {x}, axis(2));
  int b = g.add_op(OpType::Softmax, {x}, axis(1));
  int c = g.add_op(OpType::Softmax, {g.add_op(OpType::Softmax, {x}, axis(2))}, axis(1));
  g.mark_output(g.add_op(OpType::Concat, {c, a, b}, axis(1)));
  EXPECT_EQ(concats_in_place(g), 1);
}

TEST(ConcatInPlace, EveryFireModuleOfSqueezenetConcatenatesInPlace) {
  frontends::ZooOptions small;
  small.image_size = 32;
  EXPECT_EQ(concats_in_place(frontends::build_model("squeezenet_v1.1", small)), 8);
  const NetworkPlan copies = plan_network(frontends::build_model("squeezenet_v1.1", small), {.concat_in_place = false});
  EXPECT_EQ(copies.concats_in_place, 0);
  EXPECT_EQ(copies.steps.size(), copies.tasks.subgraphs.size());
}

TEST(ConcatInPlace, EveryFireModuleOfSqueezenetInNhwcConcatenatesInPlaceThroughSliceWriters) {
  frontends::ZooOptions small;
  small.image_size = 64;  // the last fire modules' images 3 x 3: strided slices
  const graph::Graph g = graph::convert_to_nhwc(frontends::build_model("squeezenet_v1.1", small));
  EXPECT_EQ(concats_in_place(g), 8);
  const NetworkPlan plan = plan_network(g);
  int writing = 0;
  for (const PlanStep& step : plan.steps) writing += step.slice_writer >= 0;
  EXPECT_EQ(writing, 16);  // each fire module's two expand convolutions
  // Fire modules of the same shapes share their slice writers, as they share tasks.
  EXPECT_LT(plan.slice_writers.size(), 16u);
}

TEST(ExecutorMemoryPlan, AValueInsideAnotherSharesItsBufferAtItsOffset) {
  // Values 0 and 1 live in value 2 (at 0 and 64 bytes); value 3 overlaps them all.
  MemoryPlan plan = plan_memory({{.bytes = 64, .def = 0, .last_use = 2, .alias_of = 2, .alias_offset = 0},
                                 {.bytes = 32, .def = 1, .last_use = 2, .alias_of = 2, .alias_offset = 64},
                                 {.bytes = 96, .def = 0, .last_use = 3},
                                 {.bytes = 96, .def = 1, .last_use = 3}});
  testutil::expect_valid_plan(plan);
  EXPECT_EQ(plan.value_buffer[0], plan.value_buffer[2]);
  EXPECT_EQ(plan.value_buffer[1], plan.value_buffer[2]);
  EXPECT_NE(plan.value_buffer[3], plan.value_buffer[2]);
  EXPECT_EQ(plan.value_offset[1], 64);
  EXPECT_EQ(plan.unplanned_bytes, 192);
  // An alias past the end of its value, or living before it, is refused.
  EXPECT_THROW(plan_memory({{.bytes = 64, .def = 0, .last_use = 1, .alias_of = 1, .alias_offset = 64},
                            {.bytes = 96, .def = 0, .last_use = 1}}),
               InternalError);
  EXPECT_THROW(plan_memory({{.bytes = 64, .def = 0, .last_use = 1, .alias_of = 1}, {.bytes = 96, .def = 1, .last_use = 1}}),
               InternalError);
}

}  // namespace
}  // namespace bcd::executor
