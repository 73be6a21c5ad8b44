// Fused subgraphs composed from several operators (what the graph module builds)
// compile and compute the composition of the references, even when stages repeat
// names (two pads, two adds).
#include <gtest/gtest.h>

#include <random>

#include "ops/nn.h"
#include "ops/reference.h"
#include "runtime/run_dag.h"

namespace bcd::ops {
namespace {

using ir::placeholder;
using ir::Tensor;

NDArray random_array(const std::vector<int64_t>& shape, std::mt19937_64& rng) {
  NDArray a(shape);
  a.fill_random(rng);
  return a;
}

TEST(OpComposed, ConvBiasAddReluMatchesReferences) {
  std::mt19937_64 rng(7);
  Tensor data = placeholder({1, 3, 9, 9}, "data"), weight = placeholder({5, 3, 3, 3}, "weight");
  Tensor bias = placeholder({5}, "bias");
  Conv2DAttrs a;
  a.stride = {2, 2};
  a.padding = {1, 1, 1, 1};
  ir::ComputeDAG dag({data, weight, bias}, {relu(bias_add(conv2d(data, weight, a), bias, 1))});
  EXPECT_EQ(dag.description(), "conv2d_add_relu");
  NDArray x = random_array({1, 3, 9, 9}, rng), w = random_array({5, 3, 3, 3}, rng),
          b = random_array({5}, rng);
  NDArray expected = ref::relu(ref::bias_add(ref::conv2d(x, w, a), b, 1));
  auto out = runtime::run_dag_default(dag, {&x, &w, &b});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(arrays_close(out[0], expected, 1e-4, 1e-4));
}

TEST(OpComposed, TwoConvolutionsAndRepeatedStageNames) {
  std::mt19937_64 rng(8);
  Tensor data = placeholder({1, 7, 7, 4}, "data");
  Tensor w1 = placeholder({3, 3, 1, 4}, "w1"), w2 = placeholder({1, 1, 4, 6}, "w2");
  Tensor skip = placeholder({6}, "skip");
  Conv2DAttrs dw;
  dw.layout = Layout::NHWC;
  dw.groups = 4;
  dw.padding = {1, 1, 1, 1};
  Conv2DAttrs pw;
  pw.layout = Layout::NHWC;
  // depthwise -> relu6 -> pointwise -> + skip -> + skip: two "add" stages, both named.
  Tensor y = add(add(conv2d(relu6(conv2d(data, w1, dw)), w2, pw), skip), skip);
  ir::ComputeDAG dag({data, w1, w2, skip}, {y});
  EXPECT_EQ(dag.description(), "depthwise_conv2d_relu6_conv2d_add_add");
  NDArray x = random_array({1, 7, 7, 4}, rng), a = random_array({3, 3, 1, 4}, rng),
          b = random_array({1, 1, 4, 6}, rng), s = random_array({6}, rng);
  NDArray expected =
      ref::add(ref::add(ref::conv2d(ref::relu6(ref::conv2d(x, a, dw)), b, pw), s), s);
  auto out = runtime::run_dag_default(dag, {&x, &a, &b, &s});
  EXPECT_TRUE(arrays_close(out[0], expected, 1e-4, 1e-4));
}

TEST(OpComposed, DenseGeluLayerNormSoftmaxChain) {
  std::mt19937_64 rng(9);
  Tensor x = placeholder({3, 16}, "x"), w = placeholder({8, 16}, "w"), b = placeholder({8}, "b");
  Tensor g = placeholder({8}, "g"), beta = placeholder({8}, "beta");
  Tensor y = softmax(layer_norm(gelu(dense(x, w, b)), g, beta));
  ir::ComputeDAG dag({x, w, b, g, beta}, {y});
  EXPECT_EQ(dag.description(), "dense_add_gelu_layer_norm_softmax");  // dense's bias is an add
  NDArray xa = random_array({3, 16}, rng), wa = random_array({8, 16}, rng),
          ba = random_array({8}, rng), ga = random_array({8}, rng), bb = random_array({8}, rng);
  NDArray expected = ref::softmax(ref::layer_norm(ref::gelu(ref::dense(xa, wa, &ba)), ga, bb, 1e-5), -1);
  auto out = runtime::run_dag_default(dag, {&xa, &wa, &ba, &ga, &bb});
  EXPECT_TRUE(arrays_close(out[0], expected, 1e-4, 1e-5));
}

TEST(OpComposed, PoolFlattenDenseWithMultipleOutputs) {
  std::mt19937_64 rng(10);
  Tensor img = placeholder({2, 3, 6, 6}, "img"), w = placeholder({4, 3}, "w");
  Tensor pooled = global_avg_pool2d(img, Layout::NCHW);
  Tensor logits = dense(flatten(pooled, 1), w);
  ir::ComputeDAG dag({img, w}, {pooled, logits});
  NDArray x = random_array({2, 3, 6, 6}, rng), wa = random_array({4, 3}, rng);
  NDArray p = ref::global_avg_pool2d(x, Layout::NCHW);
  NDArray l = ref::dense(ref::flatten(p, 1), wa, nullptr);
  auto out = runtime::run_dag_default(dag, {&x, &wa});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(arrays_close(out[0], p, 1e-5, 1e-5));
  EXPECT_TRUE(arrays_close(out[1], l, 1e-5, 1e-5));
}

TEST(OpComposed, ConcatOfTransposedAndReshapedBranches) {
  std::mt19937_64 rng(11);
  Tensor a = placeholder({2, 3, 4}, "a"), b = placeholder({4, 6}, "b");
  Tensor ta = transpose(a, {0, 2, 1});        // 2x4x3
  Tensor rb = reshape(b, {2, 4, 3});          // 2x4x3
  PadAttrs p{{0, 0, 1}, {0, 0, 0}, 0.5};
  Tensor y = concat({ta, pad(rb, p)}, 2);     // 2x4x(3+4)
  ir::ComputeDAG dag({a, b}, {y});
  EXPECT_EQ(dag.description(), "transpose_reshape_constant_pad_concat");
  NDArray aa = random_array({2, 3, 4}, rng), ba = random_array({4, 6}, rng);
  NDArray t = ref::transpose(aa, {0, 2, 1}), r = ref::pad(ref::reshape(ba, {2, 4, 3}), p);
  NDArray expected = ref::concat({&t, &r}, 2);
  auto out = runtime::run_dag_default(dag, {&aa, &ba});
  EXPECT_TRUE(arrays_close(out[0], expected, 0, 0));  // pure data movement: exact
}

}  // namespace
}  // namespace bcd::ops
