// Fusion of small hand-built graphs into subgraphs and their compute DAGs.
#include <gtest/gtest.h>

#include "graph/fusion.h"
#include "graph/tasks.h"

namespace bcd::graph {
namespace {

NodeAttrs conv_attrs(int64_t pad) {
  NodeAttrs a;
  a.conv.padding = {pad, pad, pad, pad};
  return a;
}

std::vector<std::string> descriptions(const Graph& g, const std::vector<Subgraph>& subs) {
  std::vector<std::string> d;
  for (const Subgraph& s : subs) d.push_back(subgraph_dag(g, s).description());
  return d;
}

TEST(Fusion, ConvBiasReluPoolIsTwoSubgraphs) {
  Graph g;
  const int x = g.add_input("x", {1, 3, 16, 16});
  const int c = g.add_op(OpType::Conv2D, {x, g.add_constant("w", {8, 3, 3, 3}, {})}, conv_attrs(1));
  const int b = g.add_op(OpType::BiasAdd, {c, g.add_constant("b", {8}, {})});
  const int r = g.add_op(OpType::Relu, {b});
  const int p = g.add_op(OpType::MaxPool2D, {r});
  g.mark_output(p);
  auto subs = fuse(g);
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(descriptions(g, subs), (std::vector<std::string>{"conv2d_add_relu", "max_pool2d"}));
  EXPECT_EQ(subs[0].nodes, (std::vector<int>{c, b, r}));
  EXPECT_EQ(subs[0].output, r);
  EXPECT_EQ(subs[0].inputs, (std::vector<int>{x, 1, 3}));  // data, weight, bias
  EXPECT_EQ(subs[1].inputs, (std::vector<int>{r}));
  EXPECT_EQ(subgraph_dag(g, subs[0]).inputs().size(), 3u);
}

// y = relu(conv2(relu(conv1(x))) + relu(conv1(x))): the add fuses into conv2 (its
// output has one consumer), while conv1's relu feeds two consumers and ends its own.
TEST(Fusion, ResidualAddJoinsTheConvThatProducesIt) {
  Graph g;
  const int x = g.add_input("x", {1, 4, 8, 8});
  const int a = g.add_op(OpType::Relu, {g.add_op(OpType::Conv2D, {x, g.add_constant("w1", {4, 4, 3, 3}, {})}, conv_attrs(1))});
  const int c2 = g.add_op(OpType::Conv2D, {a, g.add_constant("w2", {4, 4, 3, 3}, {})}, conv_attrs(1));
  const int sum = g.add_op(OpType::Add, {c2, a});
  const int out = g.add_op(OpType::Relu, {sum});
  g.mark_output(out);
  auto subs = fuse(g);
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(descriptions(g, subs), (std::vector<std::string>{"conv2d_relu", "conv2d_add_relu"}));
  EXPECT_EQ(subs[1].output, out);
  EXPECT_EQ(subs[1].inputs, (std::vector<int>{a, 4}));  // the residual is read once
}

// When the conv output is also read elsewhere the add cannot fuse into it.
TEST(Fusion, SharedConvOutputStopsFusion) {
  Graph g;
  const int x = g.add_input("x", {1, 4, 8, 8});
  const int c = g.add_op(OpType::Conv2D, {x, g.add_constant("w", {4, 4, 1, 1}, {})}, conv_attrs(0));
  const int r = g.add_op(OpType::Relu, {c});
  const int s = g.add_op(OpType::Sigmoid, {c});
  g.mark_output(g.add_op(OpType::Add, {r, s}));
  auto subs = fuse(g);
  // relu, sigmoid and the add close on one node: the diamond fuses into the conv.
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(descriptions(g, subs), (std::vector<std::string>{"conv2d_relu_sigmoid_add"}));
  Graph h;
  const int y = h.add_input("y", {1, 4, 8, 8});
  const int d = h.add_op(OpType::Conv2D, {y, h.add_constant("w", {4, 4, 1, 1}, {})}, conv_attrs(0));
  const int p = h.add_op(OpType::MaxPool2D, {d});
  const int q = h.add_op(OpType::Relu, {d});
  h.mark_output(p);
  h.mark_output(q);
  EXPECT_EQ(descriptions(h, fuse(h)), (std::vector<std::string>{"conv2d", "max_pool2d", "relu"}));
}

TEST(Fusion, SwishFusesAndInjectiveChainsFuseTogether) {
  Graph g;
  const int x = g.add_input("x", {8, 6});
  const int d = g.add_op(OpType::Dense, {x, g.add_constant("w", {12, 6}, {})});
  const int sw = g.add_op(OpType::Multiply, {d, g.add_op(OpType::Sigmoid, {d})});
  NodeAttrs r;
  r.new_shape = {8, 3, 4};
  NodeAttrs t;
  t.axes = {1, 0, 2};
  const int tr = g.add_op(OpType::Transpose, {g.add_op(OpType::Reshape, {sw}, r)}, t);
  g.mark_output(g.add_op(OpType::Relu, {tr}));
  EXPECT_EQ(descriptions(g, fuse(g)),
            (std::vector<std::string>{"dense_sigmoid_multiply", "reshape_transpose_relu"}));
}

TEST(TaskExtraction, NamesWeightsAndSuffixes) {
  Graph g;
  int x = g.add_input("x", {1, 4, 8, 8});
  // Three conv+relu layers: the first two have equal shapes (one task, weight 2),
  // the third has 8 output channels (a second conv2d_relu task).
  for (int64_t out : {4, 4, 8}) {
    const int64_t in = g.node(x).shape[1];
    x = g.add_op(OpType::Relu, {g.add_op(OpType::Conv2D, {x, g.add_constant("w", {out, in, 3, 3}, {})}, conv_attrs(1))});
  }
  g.mark_output(g.add_op(OpType::GlobalAvgPool2D, {x}));
  TaskSet ts = extract_tasks(g);
  ASSERT_EQ(ts.tasks.size(), 3u);
  EXPECT_EQ(ts.tasks[0].name, "conv2d_relu");
  EXPECT_EQ(ts.tasks[0].weight, 2);
  EXPECT_EQ(ts.tasks[1].name, "conv2d_relu_1");
  EXPECT_EQ(ts.tasks[1].weight, 1);
  EXPECT_EQ(ts.tasks[2].name, "global_avg_pool2d");
  EXPECT_EQ(ts.subgraph_task, (std::vector<int>{0, 0, 1, 2}));
  EXPECT_FALSE(ts.tasks[0].simple);
  EXPECT_EQ(strip_task_suffix("conv2d_relu_1"), "conv2d_relu");
  EXPECT_EQ(strip_task_suffix("conv2d_add_relu_12"), "conv2d_add_relu");
  EXPECT_EQ(strip_task_suffix("max_pool2d"), "max_pool2d");
  EXPECT_EQ(strip_task_suffix("relu_"), "relu_");
}

}  // namespace
}  // namespace bcd::graph
