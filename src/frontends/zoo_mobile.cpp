// The mobile networks, NHWC: MobileNet v1, MobileNetV2 and EfficientNet-B0. Batch
// norms are folded into biases; depthwise convolutions are groups == channels.
#include <algorithm>

#include "frontends/model_builder.h"
#include "frontends/zoo.h"

namespace bcd::frontends {

namespace {

int64_t image(const ZooOptions& o) { return o.image_size > 0 ? o.image_size : 224; }

int classifier(ModelBuilder& b, int x) {
  return b.dense(b.flatten(b.global_avg_pool(x)), 1000, Act::None);
}

}  // namespace

// MobileNet v1 (width 1.0) as TVM's relay.testing.mobilenet: ReLU activations.
graph::Graph build_mobilenet(const ZooOptions& o) {
  graph::Graph g;
  ModelBuilder b(g, ops::Layout::NHWC, o.seed);
  int x = b.image_input(3, image(o), image(o));
  x = b.conv(x, 32, 3, 2, 1, Act::Relu);
  struct Block {
    int64_t out, stride;
  };
  const Block blocks[] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},
                          {512, 2}, {512, 1}, {512, 1}, {512, 1}, {512, 1},
                          {512, 1}, {1024, 2}, {1024, 1}};
  for (const Block& blk : blocks) {
    x = b.conv(x, b.channels(x), 3, blk.stride, 1, Act::Relu, b.channels(x));
    x = b.conv(x, blk.out, 1, 1, 0, Act::Relu);
  }
  g.mark_output(classifier(b, x));
  return g;
}

// MobileNetV2 (width 1.0): inverted residual blocks with ReLU6 and linear
// bottlenecks; the residual add fuses into the projecting 1x1 conv.
graph::Graph build_mobilenet_v2(const ZooOptions& o) {
  graph::Graph g;
  ModelBuilder b(g, ops::Layout::NHWC, o.seed);
  int x = b.image_input(3, image(o), image(o));
  x = b.conv(x, 32, 3, 2, 1, Act::Relu6);
  struct Stage {
    int64_t expand, out;
    int repeats;
    int64_t stride;
  };
  const Stage stages[] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                          {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
  for (const Stage& s : stages) {
    for (int r = 0; r < s.repeats; ++r) {
      const int64_t stride = r == 0 ? s.stride : 1;
      const int64_t in = b.channels(x);
      const int64_t hidden = in * s.expand;
      int y = s.expand == 1 ? x : b.conv(x, hidden, 1, 1, 0, Act::Relu6);
      y = b.conv(y, hidden, 3, stride, 1, Act::Relu6, hidden);
      y = b.conv(y, s.out, 1, 1, 0, Act::None);
      x = stride == 1 && in == s.out ? b.add(y, x) : y;
    }
  }
  x = b.conv(x, 1280, 1, 1, 0, Act::Relu6);
  g.mark_output(classifier(b, x));
  return g;
}

// EfficientNet-B0: MBConv blocks with swish (x * sigmoid(x)) and
// squeeze-excitation (global pool, 1x1 reduce + swish, 1x1 expand + sigmoid, scale).
graph::Graph build_efficientnet_b0(const ZooOptions& o) {
  graph::Graph g;
  ModelBuilder b(g, ops::Layout::NHWC, o.seed);
  int x = b.image_input(3, image(o), image(o));
  x = b.conv(x, 32, 3, 2, 1, Act::Swish);
  struct Stage {
    int64_t expand, kernel, stride, out;
    int repeats;
  };
  const Stage stages[] = {{1, 3, 1, 16, 1},  {6, 3, 2, 24, 2},  {6, 5, 2, 40, 2},
                          {6, 3, 2, 80, 3},  {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4},
                          {6, 3, 1, 320, 1}};
  for (const Stage& s : stages) {
    for (int r = 0; r < s.repeats; ++r) {
      const int64_t stride = r == 0 ? s.stride : 1;
      const int64_t in = b.channels(x);
      const int64_t hidden = in * s.expand;
      int y = s.expand == 1 ? x : b.conv(x, hidden, 1, 1, 0, Act::Swish);
      y = b.conv(y, hidden, s.kernel, stride, s.kernel / 2, Act::Swish, hidden);
      // Squeeze-excitation on the depthwise output, reduced to a quarter of the
      // block's input channels.
      const int64_t squeezed = std::max<int64_t>(1, in / 4);
      int se = b.global_avg_pool(y);
      se = b.conv(se, squeezed, 1, 1, 0, Act::Swish);
      se = b.conv(se, hidden, 1, 1, 0, Act::Sigmoid);
      y = b.multiply(y, se);
      y = b.conv(y, s.out, 1, 1, 0, Act::None);
      x = stride == 1 && in == s.out ? b.add(y, x) : y;
    }
  }
  x = b.conv(x, 1280, 1, 1, 0, Act::Swish);
  g.mark_output(classifier(b, x));
  return g;
}

}  // namespace bcd::frontends
