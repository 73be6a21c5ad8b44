#include "frontends/model_builder.h"

#include <cmath>

#include "support/error.h"

namespace bcd::frontends {

using graph::NodeAttrs;
using graph::OpType;

namespace {

// splitmix64: decorrelates the per-constant seeds derived from one model seed.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// He (Kaiming) uniform bound: keeps the activation variance roughly constant
// through ReLU layers, so 20-layer networks without real batch norm neither blow up
// nor vanish in float32.
float he_bound(int64_t fan_in) { return static_cast<float>(std::sqrt(6.0 / static_cast<double>(fan_in))); }

}  // namespace

int ModelBuilder::image_input(int64_t c, int64_t h, int64_t w) {
  return layout_ == ops::Layout::NCHW ? g_.add_input("data", {1, c, h, w})
                                      : g_.add_input("data", {1, h, w, c});
}

int ModelBuilder::constant(std::vector<int64_t> shape, float scale, float offset) {
  graph::ConstantInit init;
  init.seed = mix(seed_ * 1000003ull + counter_);
  init.scale = scale;
  init.offset = offset;
  return g_.add_constant("w" + std::to_string(counter_++), std::move(shape), init);
}

int ModelBuilder::conv(int x, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                       Act act, int64_t groups, bool bias) {
  const int64_t c = channels(x);
  NodeAttrs a;
  a.conv.layout = layout_;
  a.conv.stride = {stride, stride};
  a.conv.padding = {padding, padding, padding, padding};
  a.conv.groups = groups;
  const int64_t cg = c / groups;
  std::vector<int64_t> wshape = layout_ == ops::Layout::NCHW
                                    ? std::vector<int64_t>{out, cg, kernel, kernel}
                                    : std::vector<int64_t>{kernel, kernel, cg, out};
  const int w = constant(wshape, he_bound(cg * kernel * kernel));
  int y = g_.add_op(OpType::Conv2D, {x, w}, a);
  if (bias) {
    NodeAttrs b;
    b.axis = channel_axis();
    y = g_.add_op(OpType::BiasAdd, {y, constant({out}, 0.01f)}, b);
  }
  return activation(y, act);
}

int ModelBuilder::conv2(int x, int64_t out, std::array<int64_t, 2> kernel,
                        std::array<int64_t, 2> stride, std::array<int64_t, 2> padding, Act act) {
  const int64_t c = channels(x);
  NodeAttrs a;
  a.conv.layout = layout_;
  a.conv.stride = stride;
  a.conv.padding = {padding[0], padding[1], padding[0], padding[1]};
  std::vector<int64_t> wshape = layout_ == ops::Layout::NCHW
                                    ? std::vector<int64_t>{out, c, kernel[0], kernel[1]}
                                    : std::vector<int64_t>{kernel[0], kernel[1], c, out};
  const int w = constant(wshape, he_bound(c * kernel[0] * kernel[1]));
  NodeAttrs b;
  b.axis = channel_axis();
  const int y = g_.add_op(OpType::BiasAdd, {g_.add_op(OpType::Conv2D, {x, w}, a), constant({out}, 0.01f)}, b);
  return activation(y, act);
}

int ModelBuilder::activation(int x, Act act) {
  switch (act) {
    case Act::None: return x;
    case Act::Relu: return g_.add_op(OpType::Relu, {x});
    case Act::Relu6: return g_.add_op(OpType::Relu6, {x});
    case Act::Sigmoid: return g_.add_op(OpType::Sigmoid, {x});
    case Act::Gelu: return g_.add_op(OpType::Gelu, {x});
    case Act::Swish: return g_.add_op(OpType::Multiply, {x, g_.add_op(OpType::Sigmoid, {x})});
  }
  fail("model builder: unknown activation {}", static_cast<int>(act));
}

int ModelBuilder::max_pool(int x, int64_t kernel, int64_t stride, int64_t padding) {
  NodeAttrs a;
  a.pool.layout = layout_;
  a.pool.kernel = {kernel, kernel};
  a.pool.stride = {stride, stride};
  a.pool.padding = {padding, padding, padding, padding};
  return g_.add_op(OpType::MaxPool2D, {x}, a);
}

int ModelBuilder::avg_pool(int x, int64_t kernel, int64_t stride, int64_t padding,
                           bool count_include_pad) {
  NodeAttrs a;
  a.pool.layout = layout_;
  a.pool.kernel = {kernel, kernel};
  a.pool.stride = {stride, stride};
  a.pool.padding = {padding, padding, padding, padding};
  a.pool.count_include_pad = count_include_pad;
  return g_.add_op(OpType::AvgPool2D, {x}, a);
}

int ModelBuilder::global_avg_pool(int x) {
  NodeAttrs a;
  a.layout = layout_;
  return g_.add_op(OpType::GlobalAvgPool2D, {x}, a);
}

int ModelBuilder::flatten(int x) {
  NodeAttrs a;
  a.axis = 1;
  return g_.add_op(OpType::Flatten, {x}, a);
}

int ModelBuilder::dense(int x, int64_t out, Act act, bool bias) {
  const int64_t k = g_.node(x).shape.back();
  // Gain 1 (not ReLU's 2) unless an activation follows: logits stay O(1).
  const float bound = act == Act::None ? std::sqrt(3.0f / static_cast<float>(k)) : he_bound(k);
  int y = g_.add_op(OpType::Dense, {x, constant({out, k}, bound)});
  if (bias) {
    NodeAttrs b;
    b.axis = static_cast<int64_t>(g_.node(y).shape.size()) - 1;
    y = g_.add_op(OpType::BiasAdd, {y, constant({out}, 0.01f)}, b);
  }
  return activation(y, act);
}

int ModelBuilder::add(int a, int b) { return g_.add_op(OpType::Add, {a, b}); }
int ModelBuilder::multiply(int a, int b) { return g_.add_op(OpType::Multiply, {a, b}); }

int ModelBuilder::concat_channels(const std::vector<int>& xs) {
  NodeAttrs a;
  a.axis = channel_axis();
  return g_.add_op(OpType::Concat, xs, a);
}

}  // namespace bcd::frontends
