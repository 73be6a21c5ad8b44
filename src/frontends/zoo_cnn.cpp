// The plain convolutional networks: SqueezeNet 1.1, ResNet-18 (v1) and VGG.
#include "frontends/model_builder.h"
#include "frontends/zoo.h"

namespace bcd::frontends {

namespace {

int64_t image(const ZooOptions& o, int64_t fallback) { return o.image_size > 0 ? o.image_size : fallback; }

// Classifier head shared by ResNet and MobileNets: global pool, flatten, dense.
int classifier(ModelBuilder& b, int x, int64_t classes) {
  return b.dense(b.flatten(b.global_avg_pool(x)), classes, Act::None);
}

}  // namespace

// torchvision's squeezenet1_1: every conv has a bias and a ReLU (no batch norm).
graph::Graph build_squeezenet(const ZooOptions& o) {
  graph::Graph g;
  ModelBuilder b(g, ops::Layout::NCHW, o.seed);
  const int64_t size = image(o, 224);
  int x = b.image_input(3, size, size);
  x = b.conv(x, 64, 3, 2, 0, Act::Relu);
  x = b.max_pool(x, 3, 2, 0);
  auto fire = [&](int in, int64_t squeeze, int64_t expand) {
    const int s = b.conv(in, squeeze, 1, 1, 0, Act::Relu);
    const int e1 = b.conv(s, expand, 1, 1, 0, Act::Relu);
    const int e3 = b.conv(s, expand, 3, 1, 1, Act::Relu);
    return b.concat_channels({e1, e3});
  };
  x = fire(x, 16, 64);
  x = fire(x, 16, 64);
  x = b.max_pool(x, 3, 2, 0);
  x = fire(x, 32, 128);
  x = fire(x, 32, 128);
  x = b.max_pool(x, 3, 2, 0);
  x = fire(x, 48, 192);
  x = fire(x, 48, 192);
  x = fire(x, 64, 256);
  x = fire(x, 64, 256);
  // Dropout is the identity at inference; the final conv makes the 1000 classes.
  x = b.conv(x, 1000, 1, 1, 0, Act::Relu);
  x = b.flatten(b.global_avg_pool(x));
  g.mark_output(x);
  return g;
}

// ResNet-18 v1 (post-activation, as torchvision and MXNet Gluon's resnet18_v1), batch
// norm folded into a bias. The main path of each block is added before the
// projection shortcut so that the residual add fuses into the block's second 3x3
// conv (conv2d_add_add_relu) as in TVM, not into the 1x1 shortcut.
graph::Graph build_resnet18(const ZooOptions& o, ops::Layout layout) {
  graph::Graph g;
  ModelBuilder b(g, layout, o.seed);
  const int64_t size = image(o, 224);
  int x = b.image_input(3, size, size);
  x = b.conv(x, 64, 7, 2, 3, Act::Relu);
  x = b.max_pool(x, 3, 2, 1);
  const int64_t widths[] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage) {
    for (int block = 0; block < 2; ++block) {
      const int64_t stride = stage > 0 && block == 0 ? 2 : 1;
      const int64_t w = widths[stage];
      int y = b.conv(x, w, 3, stride, 1, Act::Relu);
      y = b.conv(y, w, 3, 1, 1, Act::None);
      const int shortcut = stride != 1 || b.channels(x) != w
                               ? b.conv(x, w, 1, stride, 0, Act::None)
                               : x;
      x = b.activation(b.add(y, shortcut), Act::Relu);
    }
  }
  g.mark_output(classifier(b, x, 1000));
  return g;
}

// VGG-16 (configuration D) and VGG-19 (E): 3x3 convs with bias and ReLU, max pools,
// three dense layers (dropout is the identity at inference).
graph::Graph build_vgg(const ZooOptions& o, int depth) {
  graph::Graph g;
  ModelBuilder b(g, ops::Layout::NHWC, o.seed);
  const int64_t size = image(o, 224);
  int x = b.image_input(3, size, size);
  const int per_stage_deep = depth == 19 ? 4 : 3;
  const int64_t widths[] = {64, 128, 256, 512, 512};
  for (int stage = 0; stage < 5; ++stage) {
    const int convs = stage < 2 ? 2 : per_stage_deep;
    for (int i = 0; i < convs; ++i) x = b.conv(x, widths[stage], 3, 1, 1, Act::Relu);
    x = b.max_pool(x, 2, 2, 0);
  }
  x = b.flatten(x);
  x = b.dense(x, 4096, Act::Relu);
  x = b.dense(x, 4096, Act::Relu);
  g.mark_output(b.dense(x, 1000, Act::None));
  return g;
}

}  // namespace bcd::frontends
