// The reference implementations on tiny cases computed by hand, and cross-checks
// between references (a layout change or a grouping must not change the answer).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/reference.h"

namespace bcd::ops {
namespace {

NDArray make(std::vector<int64_t> shape, std::vector<float> values) {
  NDArray a(std::move(shape));
  EXPECT_EQ(static_cast<size_t>(a.size()), values.size());
  for (size_t i = 0; i < values.size(); ++i) a[static_cast<int64_t>(i)] = values[i];
  return a;
}

void expect_values(const NDArray& a, const std::vector<int64_t>& shape,
                   const std::vector<float>& values, float tol = 1e-5f) {
  ASSERT_EQ(a.shape(), shape);
  ASSERT_EQ(static_cast<size_t>(a.size()), values.size());
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_NEAR(a[static_cast<int64_t>(i)], values[i], tol) << "element " << i;
}

NDArray random_array(std::vector<int64_t> shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  NDArray a(std::move(shape));
  a.fill_random(rng);
  return a;
}

const NDArray kImage3 = make({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});

TEST(OpReference, Conv2dOnesKernelSumsNeighbourhoods) {
  NDArray w = make({1, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1});
  Conv2DAttrs a;
  a.padding = {1, 1, 1, 1};
  expect_values(ref::conv2d(kImage3, w, a), {1, 1, 3, 3}, {12, 21, 16, 27, 45, 33, 24, 39, 28});
  a.stride = {2, 2};
  expect_values(ref::conv2d(kImage3, w, a), {1, 1, 2, 2}, {12, 16, 24, 28});
}

TEST(OpReference, Conv2dKnownKernelAndDilation) {
  // 2x2 kernel [[1, 0], [0, -1]] without padding: x[i][j] - x[i+1][j+1] = -4.
  NDArray w = make({1, 1, 2, 2}, {1, 0, 0, -1});
  expect_values(ref::conv2d(kImage3, w, {}), {1, 1, 2, 2}, {-4, -4, -4, -4});
  // Dilation 2 turns it into x[0][0] - x[2][2] on the 3x3 input.
  Conv2DAttrs a;
  a.dilation = {2, 2};
  expect_values(ref::conv2d(kImage3, w, a), {1, 1, 1, 1}, {-8});
}

TEST(OpReference, Conv2dNhwcAgreesWithNchw) {
  NDArray x = random_array({2, 4, 7, 6}, 1), w = random_array({6, 2, 3, 2}, 2);
  Conv2DAttrs a;
  a.stride = {2, 1};
  a.padding = {1, 0, 2, 1};
  a.dilation = {1, 2};
  a.groups = 2;
  NDArray nchw = ref::conv2d(x, w, a);
  NDArray xt = ref::transpose(x, {0, 2, 3, 1}), wt = ref::transpose(w, {2, 3, 1, 0});
  a.layout = Layout::NHWC;
  NDArray nhwc = ref::conv2d(xt, wt, a);
  EXPECT_TRUE(arrays_close(ref::transpose(nhwc, {0, 3, 1, 2}), nchw, 1e-6, 1e-6));
}

TEST(OpReference, GroupedConvIsConvsOfChannelSlices) {
  NDArray x = random_array({1, 4, 5, 5}, 3), w = random_array({6, 2, 3, 3}, 4);
  Conv2DAttrs a;
  a.groups = 2;
  a.padding = {1, 1, 1, 1};
  NDArray grouped = ref::conv2d(x, w, a);
  // Group g: input channels 2g..2g+1, output channels 3g..3g+2.
  a.groups = 1;
  for (int g = 0; g < 2; ++g) {
    NDArray xs({1, 2, 5, 5}), ws({3, 2, 3, 3});
    for (int64_t i = 0; i < xs.size(); ++i) xs[i] = x[g * xs.size() + i];
    for (int64_t i = 0; i < ws.size(); ++i) ws[i] = w[g * ws.size() + i];
    NDArray part = ref::conv2d(xs, ws, a);
    for (int64_t i = 0; i < part.size(); ++i)
      EXPECT_NEAR(grouped[g * part.size() + i], part[i], 1e-6);
  }
}

TEST(OpReference, DenseAndBatchMatmul) {
  NDArray x = make({2, 2}, {1, 2, 3, 4});
  NDArray w = make({3, 2}, {1, 0, 0, 1, 1, 1});
  NDArray b = make({3}, {10, 20, 30});
  expect_values(ref::dense(x, w, &b), {2, 3}, {11, 22, 33, 13, 24, 37});
  expect_values(ref::dense(x, w, nullptr), {2, 3}, {1, 2, 3, 3, 4, 7});
  NDArray a3 = make({2, 1, 2}, {1, 2, 3, 4});
  NDArray b3 = make({1, 2, 2}, {1, 1, 0, 1});  // batch 1 broadcasts
  expect_values(ref::batch_matmul(a3, b3), {2, 1, 2}, {3, 2, 7, 4});
}

TEST(OpReference, MaxPoolIgnoresPadding) {
  NDArray neg = make({1, 1, 3, 3}, {-1, -2, -3, -4, -5, -6, -7, -8, -9});
  Pool2DAttrs a;
  a.kernel = {3, 3};
  a.stride = {1, 1};
  a.padding = {1, 1, 1, 1};
  // A zero pad would win every window; padded elements must be ignored instead.
  expect_values(ref::max_pool2d(neg, a), {1, 1, 3, 3}, {-1, -1, -2, -1, -1, -2, -4, -4, -5});
}

TEST(OpReference, AvgPoolCountsOnlyInputElementsByDefault) {
  Pool2DAttrs a;
  a.kernel = {3, 3};
  a.stride = {2, 2};
  a.padding = {1, 1, 1, 1};
  expect_values(ref::avg_pool2d(kImage3, a), {1, 1, 2, 2}, {3, 4, 6, 7});
  a.count_include_pad = true;
  expect_values(ref::avg_pool2d(kImage3, a), {1, 1, 2, 2}, {12 / 9.f, 16 / 9.f, 24 / 9.f, 28 / 9.f});
  NDArray nhwc = make({1, 2, 2, 2}, {1, 10, 2, 20, 3, 30, 4, 40});
  expect_values(ref::global_avg_pool2d(nhwc, Layout::NHWC), {1, 1, 1, 2}, {2.5f, 25});
  expect_values(ref::global_avg_pool2d(kImage3, Layout::NCHW), {1, 1, 1, 1}, {5});
}

TEST(OpReference, SoftmaxRowsSumToOne) {
  NDArray x = make({1, 2}, {0, std::log(3.0f)});
  expect_values(ref::softmax(x, -1), {1, 2}, {0.25f, 0.75f});
  NDArray r = random_array({3, 4, 5}, 5);
  for (int axis : {0, 1, 2}) {
    NDArray s = ref::softmax(r, axis);
    int64_t extent = r.shape()[axis], inner = 1;
    for (int d = axis + 1; d < 3; ++d) inner *= r.shape()[d];
    for (int64_t o = 0; o < r.size() / (extent * inner); ++o)
      for (int64_t i = 0; i < inner; ++i) {
        double total = 0;
        for (int64_t k = 0; k < extent; ++k) total += s[(o * extent + k) * inner + i];
        EXPECT_NEAR(total, 1.0, 1e-6);
      }
  }
  // Large inputs do not overflow (the maximum is subtracted first).
  NDArray big = make({2}, {1000, 1000});
  expect_values(ref::softmax(big, 0), {2}, {0.5f, 0.5f});
}

TEST(OpReference, LayerNormAndBatchNorm) {
  NDArray x = make({1, 4}, {1, 2, 3, 4});
  NDArray ones = make({4}, {1, 1, 1, 1}), zeros = make({4}, {0, 0, 0, 0});
  const float s = 1.0f / std::sqrt(1.25f);  // variance of 1..4 is 1.25
  expect_values(ref::layer_norm(x, ones, zeros, 0), {1, 4}, {-1.5f * s, -0.5f * s, 0.5f * s, 1.5f * s});
  NDArray g = make({4}, {2, 2, 2, 2}), b = make({4}, {1, 1, 1, 1});
  expect_values(ref::layer_norm(x, g, b, 0), {1, 4}, {1 - 3 * s, 1 - s, 1 + s, 1 + 3 * s});
  NDArray img = make({1, 2, 1, 2}, {1, 2, 3, 4});
  expect_values(ref::batch_norm(img, make({2}, {2, 10}), make({2}, {1, -1}), 1), {1, 2, 1, 2},
                {3, 5, 29, 39});
  expect_values(ref::bias_add(img, make({2}, {100, 200}), -1), {1, 2, 1, 2}, {101, 202, 103, 204});
}

TEST(OpReference, Activations) {
  NDArray x = make({5}, {-7, -1, 0, 1, 7});
  expect_values(ref::relu(x), {5}, {0, 0, 0, 1, 7});
  expect_values(ref::relu6(x), {5}, {0, 0, 0, 1, 6});
  expect_values(ref::clip(x, -2, 0.5), {5}, {-2, -1, 0, 0.5f, 0.5f});
  expect_values(ref::sigmoid(x), {5},
                {1 / (1 + std::exp(7.f)), 0.26894142f, 0.5f, 0.73105858f, 1 / (1 + std::exp(-7.f))});
  expect_values(ref::tanh(x), {5}, {std::tanh(-7.f), -0.76159416f, 0, 0.76159416f, std::tanh(7.f)});
  // GELU(1) = Phi(1) = 0.8413447; GELU(-1) = -(1 - Phi(1)).
  expect_values(ref::gelu(x), {5}, {0, -0.15865525f, 0, 0.84134475f, 7}, 1e-5f);
}

TEST(OpReference, BroadcastingArithmetic) {
  NDArray a = make({1, 3, 1, 2}, {1, 2, 3, 4, 5, 6});
  NDArray b = make({2, 1}, {10, 20});  // aligned right: broadcasts against dims 2 and 3
  NDArray sum = ref::add(a, b);
  ASSERT_EQ(sum.shape(), (std::vector<int64_t>{1, 3, 2, 2}));
  EXPECT_EQ(sum.at({0, 1, 1, 0}), 3 + 20);
  EXPECT_EQ(sum.at({0, 2, 0, 1}), 6 + 10);
  expect_values(ref::subtract(make({2}, {5, 6}), make({1}, {1})), {2}, {4, 5});
  expect_values(ref::multiply(make({2, 1}, {2, 3}), make({1, 2}, {4, 5})), {2, 2}, {8, 10, 12, 15});
  expect_values(ref::divide(make({2}, {1, 3}), make({2}, {4, 2})), {2}, {0.25f, 1.5f});
}

TEST(OpReference, LayoutOperators) {
  NDArray x = make({2, 3}, {1, 2, 3, 4, 5, 6});
  PadAttrs p;
  p.before = {1, 0};
  p.after = {0, 1};
  p.value = -1;
  expect_values(ref::pad(x, p), {3, 4}, {-1, -1, -1, -1, 1, 2, 3, -1, 4, 5, 6, -1});
  NDArray y = make({2, 1}, {7, 8});
  expect_values(ref::concat({&x, &y}, 1), {2, 4}, {1, 2, 3, 7, 4, 5, 6, 8});
  expect_values(ref::concat({&x, &x}, 0), {4, 3}, {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6});
  expect_values(ref::reshape(x, {3, -1}), {3, 2}, {1, 2, 3, 4, 5, 6});
  expect_values(ref::flatten(make({1, 2, 2}, {1, 2, 3, 4}), 1), {1, 4}, {1, 2, 3, 4});
  expect_values(ref::flatten(make({1, 2, 2}, {1, 2, 3, 4}), 0), {1, 4}, {1, 2, 3, 4});
  expect_values(ref::transpose(x, {1, 0}), {3, 2}, {1, 4, 2, 5, 3, 6});
  expect_values(ref::transpose(x, {}), {3, 2}, {1, 4, 2, 5, 3, 6});
}

}  // namespace
}  // namespace bcd::ops
