// convert_to_nhwc: the converted graph computes the model's function, its image
// operators run in NHWC, and values cross between the layouts only where an
// operator needs the original one. Zoo models are checked end to end: their
// converted networks, compiled with default schedules, against the reference
// executor on the model as written.
#include "graph/convert_layout.h"

#include <gtest/gtest.h>

#include "executor/network.h"
#include "executor/verify.h"
#include "frontends/zoo.h"
#include "graph/reference_executor.h"
#include "testing/param_names.h"

namespace bcd::graph {
namespace {

int count_ops(const Graph& g, OpType op) {
  int n = 0;
  for (const Node& node : g.nodes()) n += node.op == op;
  return n;
}

// Image operators still in NCHW.
int nchw_image_ops(const Graph& g) {
  int n = 0;
  for (const Node& node : g.nodes()) {
    if (node.op == OpType::Conv2D) n += node.attrs.conv.layout == ops::Layout::NCHW;
    if (node.op == OpType::MaxPool2D || node.op == OpType::AvgPool2D) n += node.attrs.pool.layout == ops::Layout::NCHW;
    if (node.op == OpType::GlobalAvgPool2D) n += node.attrs.layout == ops::Layout::NCHW;
  }
  return n;
}

void expect_same_outputs(const Graph& written, const Graph& converted) {
  std::vector<NDArray> inputs = random_inputs(written, 5);
  std::vector<const NDArray*> args;
  for (const NDArray& a : inputs) args.push_back(&a);
  std::vector<NDArray> want = run_reference(written, args), got = run_reference(converted, args);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i].shape(), want[i].shape()) << "output " << i;
    ArrayDiff d = compare_arrays(got[i], want[i]);
    EXPECT_LT(d.max_rel, 1e-5) << "output " << i;
  }
}

// A conv chain with every case of the conversion: per-channel bias and batch
// norm, a 4-D per-channel constant, a scalar, a broadcast along W (which needs the
// original layout), a concatenation of channels, pools, and a value both an
// output and the input of converted operators.
Graph mixed_graph() {
  Graph g;
  const int x = g.add_input("x", {1, 8, 6, 6});
  auto constant = [&](const std::string& name, std::vector<int64_t> shape, uint64_t seed) {
    return g.add_constant(name, std::move(shape), ConstantInit{seed, 0.5f, 0.0f});
  };
  NodeAttrs conv;
  conv.conv.padding = {1, 1, 1, 1};
  const int c = g.add_op(OpType::Conv2D, {x, constant("w", {8, 8, 3, 3}, 1)}, conv, "conv");
  NodeAttrs channel;
  channel.axis = 1;
  const int b = g.add_op(OpType::BiasAdd, {c, constant("b", {8}, 2)}, channel, "bias");
  const int bn = g.add_op(OpType::BatchNorm, {b, constant("scale", {8}, 3), constant("shift", {8}, 4)}, channel, "bn");
  const int r = g.add_op(OpType::Relu, {bn}, {}, "relu");
  const int per_channel = g.add_op(OpType::Add, {r, constant("per_channel", {1, 8, 1, 1}, 5)}, {}, "per_channel");
  const int scaled = g.add_op(OpType::Multiply, {r, constant("half", {1}, 6)}, {}, "scaled");
  const int along_w = g.add_op(OpType::Add, {r, constant("along_w", {6}, 7)}, {}, "along_w");
  const int cat = g.add_op(OpType::Concat, {per_channel, scaled}, channel, "cat");
  NodeAttrs pool;
  pool.pool.kernel = {2, 2};
  pool.pool.stride = {2, 2};
  const int p = g.add_op(OpType::MaxPool2D, {cat}, pool, "pool");
  const int gap = g.add_op(OpType::GlobalAvgPool2D, {p}, {}, "gap");
  NodeAttrs flat;
  flat.axis = 1;
  g.mark_output(g.add_op(OpType::Flatten, {gap}, flat, "flat"));
  g.mark_output(g.add_op(OpType::Flatten, {along_w}, flat, "flat_w"));
  g.mark_output(c);
  return g;
}

TEST(ConvertLayout, EveryCaseComputesTheSameFunctionWithTransposesOnlyWhereNeeded) {
  Graph g = mixed_graph();
  Graph nhwc = convert_to_nhwc(g);
  EXPECT_EQ(nchw_image_ops(nhwc), 0);
  // In: the image. Out to the original layout: the relu for the broadcast along W,
  // the pooled value for its flatten, and the conv for the graph's output.
  EXPECT_EQ(count_ops(nhwc, OpType::Transpose), 4);
  for (const Node& n : nhwc.nodes()) {
    if (n.name == "bias" || n.name == "bn" || n.name == "cat") {
      EXPECT_EQ(n.attrs.axis, 3) << n.name;
    } else if (n.name == "conv") {
      EXPECT_EQ(n.shape, (std::vector<int64_t>{1, 6, 6, 8}));
    } else if (n.name == "w_hwio") {
      EXPECT_EQ(n.shape, (std::vector<int64_t>{3, 3, 8, 8}));
    } else if (n.name == "per_channel_nhwc") {
      EXPECT_EQ(n.shape, (std::vector<int64_t>{1, 1, 1, 8}));
    }
  }
  ASSERT_EQ(nhwc.outputs().size(), g.outputs().size());
  for (size_t i = 0; i < g.outputs().size(); ++i)
    EXPECT_EQ(nhwc.node(nhwc.outputs()[i]).shape, g.node(g.outputs()[i]).shape);
  expect_same_outputs(g, nhwc);
}

TEST(ConvertLayout, AGraphWithoutNchwImageOperatorsIsLeftAsItIs) {
  Graph g = frontends::build_model("mobilenetv2", {.image_size = 32});  // built in NHWC
  Graph nhwc = convert_to_nhwc(g);
  EXPECT_EQ(nhwc.size(), g.size());
  EXPECT_EQ(count_ops(nhwc, OpType::Transpose), 0);
}

// The zoo's NCHW models: converted, compiled with default schedules, and checked
// against the model as written.
class ConvertLayoutZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(ConvertLayoutZoo, ConvertedNetworkMatchesTheModelAsWritten) {
  Graph g = frontends::build_model(GetParam(), {.image_size = 32});
  ASSERT_GT(nchw_image_ops(g), 0);
  Graph nhwc = convert_to_nhwc(g);
  EXPECT_EQ(nchw_image_ops(nhwc), 0);
  EXPECT_EQ(count_ops(nhwc, OpType::Transpose), 2);  // the image in, the features out
  executor::Network net = executor::Network::build(nhwc, {});
  executor::Verification v = executor::verify_network(net, g, /*seed=*/3);
  EXPECT_TRUE(v.ok) << "max abs error " << v.worst.max_abs << ", max rel error " << v.worst.max_rel;
  EXPECT_GT(v.worst.max_abs, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Graph, ConvertLayoutZoo, ::testing::Values("squeezenet_v1.1", "mxnet"),
                         testutil::IdentifierOfParam());

}  // namespace
}  // namespace bcd::graph
