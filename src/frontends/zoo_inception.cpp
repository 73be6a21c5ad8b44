// Inception v3 (torchvision's inception_v3 without the auxiliary classifier), NHWC,
// 299x299. Every conv is conv + folded batch norm + ReLU; average pools count the
// padding (torchvision's default), as the converted models do.
#include "frontends/model_builder.h"
#include "frontends/zoo.h"

namespace bcd::frontends {

namespace {

struct Inception {
  ModelBuilder& b;

  int c(int x, int64_t out, int64_t k, int64_t stride = 1, int64_t pad = 0) {
    return b.conv(x, out, k, stride, pad, Act::Relu);
  }
  int c17(int x, int64_t out) { return b.conv2(x, out, {1, 7}, {1, 1}, {0, 3}, Act::Relu); }
  int c71(int x, int64_t out) { return b.conv2(x, out, {7, 1}, {1, 1}, {3, 0}, Act::Relu); }
  int pool_proj(int x, int64_t out) { return c(b.avg_pool(x, 3, 1, 1, true), out, 1); }

  int a(int x, int64_t pool_features) {
    const int b1 = c(x, 64, 1);
    const int b5 = c(c(x, 48, 1), 64, 5, 1, 2);
    const int b3 = c(c(c(x, 64, 1), 96, 3, 1, 1), 96, 3, 1, 1);
    return b.concat_channels({b1, b5, b3, pool_proj(x, pool_features)});
  }
  int reduction_b(int x) {
    const int b3 = c(x, 384, 3, 2);
    const int dbl = c(c(c(x, 64, 1), 96, 3, 1, 1), 96, 3, 2);
    return b.concat_channels({b3, dbl, b.max_pool(x, 3, 2, 0)});
  }
  int c_block(int x, int64_t c7) {
    const int b1 = c(x, 192, 1);
    const int b7 = c71(c17(c(x, c7, 1), c7), 192);
    const int dbl = c17(c71(c17(c71(c(x, c7, 1), c7), c7), c7), 192);
    return b.concat_channels({b1, b7, dbl, pool_proj(x, 192)});
  }
  int reduction_d(int x) {
    const int b3 = c(c(x, 192, 1), 320, 3, 2);
    const int b7 = c(c71(c17(c(x, 192, 1), 192), 192), 192, 3, 2);
    return b.concat_channels({b3, b7, b.max_pool(x, 3, 2, 0)});
  }
  int split_13_31(int x) {
    const int l = b.conv2(x, 384, {1, 3}, {1, 1}, {0, 1}, Act::Relu);
    const int r = b.conv2(x, 384, {3, 1}, {1, 1}, {1, 0}, Act::Relu);
    return b.concat_channels({l, r});
  }
  int e(int x) {
    const int b1 = c(x, 320, 1);
    const int b3 = split_13_31(c(x, 384, 1));
    const int dbl = split_13_31(c(c(x, 448, 1), 384, 3, 1, 1));
    return b.concat_channels({b1, b3, dbl, pool_proj(x, 192)});
  }
};

}  // namespace

graph::Graph build_inception_v3(const ZooOptions& o) {
  graph::Graph g;
  ModelBuilder b(g, ops::Layout::NHWC, o.seed);
  Inception n{b};
  const int64_t size = o.image_size > 0 ? o.image_size : 299;
  int x = b.image_input(3, size, size);
  x = n.c(x, 32, 3, 2);        // 149
  x = n.c(x, 32, 3);           // 147
  x = n.c(x, 64, 3, 1, 1);     // 147
  x = b.max_pool(x, 3, 2, 0);  // 73
  x = n.c(x, 80, 1);
  x = n.c(x, 192, 3);          // 71
  x = b.max_pool(x, 3, 2, 0);  // 35
  x = n.a(x, 32);
  x = n.a(x, 64);
  x = n.a(x, 64);
  x = n.reduction_b(x);        // 17
  for (int64_t c7 : {128, 160, 160, 192}) x = n.c_block(x, c7);
  x = n.reduction_d(x);        // 8
  x = n.e(x);
  x = n.e(x);                  // 8 x 8 x 2048
  g.mark_output(b.dense(b.flatten(b.global_avg_pool(x)), 1000, Act::None));
  return g;
}

}  // namespace bcd::frontends
