// Helpers that build the zoo's networks layer by layer: convolutions with folded
// batch norm (a bias, as TVM's FoldScaleAxis leaves it), activations, pooling and
// dense layers, in one layout, with deterministic He-scaled random weights so that
// deep networks keep their activations in a sane range.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace bcd::frontends {

enum class Act : uint8_t { None, Relu, Relu6, Swish, Sigmoid, Gelu };

class ModelBuilder {
 public:
  ModelBuilder(graph::Graph& graph, ops::Layout layout, uint64_t seed)
      : g_(graph), layout_(layout), seed_(seed) {}

  graph::Graph& graph() { return g_; }
  ops::Layout layout() const { return layout_; }
  int channel_axis() const { return layout_ == ops::Layout::NCHW ? 1 : 3; }
  int64_t channels(int x) const { return g_.node(x).shape.at(channel_axis()); }
  // A 1 x C x H x W (NCHW) or 1 x H x W x C (NHWC) image input.
  int image_input(int64_t channels, int64_t height, int64_t width);

  // Uniform in [-scale, scale) (plus offset), seeded per constant.
  int constant(std::vector<int64_t> shape, float scale, float offset = 0.0f);

  // Convolution (He-scaled weight), then a bias (folded batch norm or a real bias)
  // unless `bias` is false, then the activation. Padding is symmetric.
  int conv(int x, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
           Act act, int64_t groups = 1, bool bias = true);
  // Asymmetric kernels (Inception's 1x7 / 7x1): padding (height, width).
  int conv2(int x, int64_t out_channels, std::array<int64_t, 2> kernel,
            std::array<int64_t, 2> stride, std::array<int64_t, 2> padding, Act act);
  int activation(int x, Act act);

  int max_pool(int x, int64_t kernel, int64_t stride, int64_t padding);
  int avg_pool(int x, int64_t kernel, int64_t stride, int64_t padding, bool count_include_pad);
  int global_avg_pool(int x);
  int flatten(int x);
  // x (M x K) -> M x out: dense then bias_add (TVM's "dense_add"), then activation.
  int dense(int x, int64_t out, Act act, bool bias = true);

  int add(int a, int b);
  int multiply(int a, int b);
  int concat_channels(const std::vector<int>& xs);

 private:
  graph::Graph& g_;
  ops::Layout layout_;
  uint64_t seed_;
  uint64_t counter_ = 0;
};

}  // namespace bcd::frontends
