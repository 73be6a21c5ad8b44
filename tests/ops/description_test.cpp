// Composed subgraphs read as users expect (conv2d_add_relu), helper pad stages are
// skipped, and the structure of the declarations is what the search rules need.
#include <gtest/gtest.h>

#include <map>

#include "ops/nn.h"
#include "ops/registry.h"

namespace bcd::ops {
namespace {

using ir::ComputeDAG;
using ir::placeholder;
using ir::Tensor;

int count_tag(const ComputeDAG& dag, const std::string& tag) {
  int n = 0;
  for (const auto& t : dag.ops()) n += t->tag == tag;
  return n;
}

TEST(OpDescription, ConvBiasReluReadsConv2dAddRelu) {
  Tensor data = placeholder({1, 3, 8, 8}, "data");
  Tensor weight = placeholder({4, 3, 3, 3}, "weight");
  Tensor bias = placeholder({1, 4, 1, 1}, "bias");
  Conv2DAttrs a;
  a.padding = {1, 1, 1, 1};
  Tensor out = relu(add(conv2d(data, weight, a), bias));
  ComputeDAG dag({data, weight, bias}, {out});
  EXPECT_EQ(dag.description(), "conv2d_add_relu");
  EXPECT_EQ(count_tag(dag, "pad"), 1);  // present, but not in the description
  EXPECT_EQ(out->shape, (std::vector<int64_t>{1, 4, 8, 8}));

  // A bias vector through bias_add reads the same, as in TVM's task names.
  Tensor bvec = placeholder({4}, "bvec");
  ComputeDAG dag2({data, weight, bvec}, {relu(bias_add(conv2d(data, weight, a), bvec, 1))});
  EXPECT_EQ(dag2.description(), "conv2d_add_relu");
  EXPECT_EQ(dag2.workload_key() == dag.workload_key(), false);
}

TEST(OpDescription, UnpaddedConvHasNoPadStage) {
  Tensor data = placeholder({1, 8, 8, 3}, "data");
  Tensor weight = placeholder({3, 3, 3, 4}, "weight");
  Conv2DAttrs a;
  a.layout = Layout::NHWC;
  ComputeDAG dag({data, weight}, {conv2d(data, weight, a)});
  EXPECT_EQ(dag.description(), "conv2d");
  EXPECT_EQ(count_tag(dag, "pad"), 0);
  EXPECT_EQ(dag.ops().size(), 3u);
  // The convolution reduces and reuses its inputs: the search tiles it.
  EXPECT_TRUE(dag.access(2).needs_multi_level_tiling);
}

TEST(OpDescription, DepthwiseAndGroupedTags) {
  Tensor data = placeholder({1, 8, 6, 6}, "data");
  Conv2DAttrs a;
  a.groups = 8;
  a.padding = {1, 1, 1, 1};
  Tensor dw = conv2d(data, placeholder({16, 1, 3, 3}, "w"), a);
  EXPECT_EQ(dw->tag, "depthwise_conv2d");
  EXPECT_EQ(dw->reduce_axes.size(), 2u);  // no channel axis: one channel per group
  a.groups = 2;
  EXPECT_EQ(conv2d(data, placeholder({4, 4, 3, 3}, "w"), a)->tag, "group_conv2d");

  Tensor scale = placeholder({16}, "scale"), shift = placeholder({16}, "shift");
  Tensor w = placeholder({16, 1, 3, 3}, "w2");
  a.groups = 8;
  Tensor out = relu6(batch_norm(conv2d(data, w, a), scale, shift, 1));
  ComputeDAG dag({data, w, scale, shift}, {out});
  EXPECT_EQ(dag.description(), "depthwise_conv2d_batch_norm_relu6");
}

TEST(OpDescription, MultiStageOperatorsReadAsOne) {
  Tensor x = placeholder({4, 10}, "x");
  EXPECT_EQ(ComputeDAG({x}, {softmax(x)}).description(), "softmax");
  EXPECT_EQ(ComputeDAG({x}, {softmax(x)}).ops().size(), 5u);  // max, exp, sum, divide
  Tensor g = placeholder({10}, "g"), b = placeholder({10}, "b");
  EXPECT_EQ(ComputeDAG({x, g, b}, {layer_norm(x, g, b)}).description(), "layer_norm");
  Tensor img = placeholder({1, 2, 7, 7}, "img");
  Pool2DAttrs p;
  p.kernel = {3, 3};
  p.padding = {1, 1, 1, 1};
  EXPECT_EQ(ComputeDAG({img}, {avg_pool2d(img, p)}).description(), "avg_pool2d");
  EXPECT_EQ(ComputeDAG({img}, {max_pool2d(img, p)}).description(), "max_pool2d");
  Tensor w = placeholder({6, 10}, "w"), bias = placeholder({6}, "bias");
  // dense with a bias is dense + bias add, the same name as the graph's fusion gives.
  EXPECT_EQ(ComputeDAG({x, w, bias}, {dense(x, w, bias)}).description(), "dense_add");
  EXPECT_EQ(ComputeDAG({x, w, bias}, {gelu(bias_add(dense(x, w), bias, 1))}).description(),
            "dense_add_gelu");
}

TEST(OpDescription, RegistryOperatorsDescribeThemselves) {
  const std::map<std::string, std::string> renamed{
      {"bias_add", "add"}, {"pad", "constant_pad"}, {"reduce", "reduce_mean"}};  // the default kind
  for (const auto& def : op_registry()) {
    auto it = renamed.find(def.name);
    EXPECT_EQ(build_op(def.name, {}).dag.description(), it == renamed.end() ? def.name : it->second);
  }
  EXPECT_EQ(build_op("conv2d", OpParams::parse("c=8,o=8,groups=2")).dag.description(),
            "group_conv2d");
  EXPECT_EQ(build_op("conv2d", OpParams::parse("c=8,o=16,groups=8")).dag.description(),
            "depthwise_conv2d");
}

TEST(OpDescription, DefaultConvIsResNetLike) {
  OpInstance inst = build_op("conv2d", {});
  ASSERT_EQ(inst.dag.inputs().size(), 2u);
  EXPECT_EQ(inst.dag.inputs()[0]->shape, (std::vector<int64_t>{1, 64, 56, 56}));
  EXPECT_EQ(inst.dag.inputs()[1]->shape, (std::vector<int64_t>{64, 64, 3, 3}));
  EXPECT_EQ(inst.dag.outputs()[0]->shape, (std::vector<int64_t>{1, 64, 56, 56}));
  EXPECT_DOUBLE_EQ(inst.dag.flop_count(), 2.0 * 64 * 56 * 56 * 64 * 9);
}

TEST(OpDescription, ElementwiseStagesAreInlineableAndReadsElementwise) {
  Tensor x = placeholder({2, 3}, "x");
  ComputeDAG dag({x}, {relu(x)});
  EXPECT_TRUE(dag.access(1).is_strictly_inlineable);
  EXPECT_TRUE(dag.access(1).is_elementwise_read.at(0));
  ComputeDAG g({x}, {gelu(x)});
  EXPECT_FALSE(g.access(1).is_strictly_inlineable);  // erf is expensive
}

}  // namespace
}  // namespace bcd::ops
