// Reference convolution, matrix products and pooling: direct loops in double.
#include <algorithm>
#include <cmath>

#include "ops/reference.h"
#include "support/error.h"

namespace bcd::ops::ref {

namespace {

// A 4-D view in either image layout: (n, c, h, w) -> flat offset.
struct Image {
  bool nchw;
  int64_t N, C, H, W;
  Image(const std::vector<int64_t>& s, Layout layout) : nchw(layout == Layout::NCHW) {
    BCD_CHECK(s.size() == 4, "image of rank {}", s.size());
    N = s[0];
    C = nchw ? s[1] : s[3];
    H = nchw ? s[2] : s[1];
    W = nchw ? s[3] : s[2];
  }
  int64_t at(int64_t n, int64_t c, int64_t h, int64_t w) const {
    return nchw ? ((n * C + c) * H + h) * W + w : ((n * H + h) * W + w) * C + c;
  }
  std::vector<int64_t> shape_with(int64_t c, int64_t h, int64_t w) const {
    return nchw ? std::vector<int64_t>{N, c, h, w} : std::vector<int64_t>{N, h, w, c};
  }
};

int64_t out_extent(int64_t in, int64_t pad_lo, int64_t pad_hi, int64_t kernel, int64_t dilation,
                   int64_t stride) {
  int64_t span = in + pad_lo + pad_hi - dilation * (kernel - 1) - 1;
  BCD_CHECK(span >= 0, "window larger than input");
  return span / stride + 1;
}

}  // namespace

NDArray conv2d(const NDArray& data, const NDArray& weight, const Conv2DAttrs& a) {
  Image in(data.shape(), a.layout);
  const auto& ws = weight.shape();
  const bool nchw = a.layout == Layout::NCHW;
  const int64_t O = nchw ? ws[0] : ws[3], Cg = nchw ? ws[1] : ws[2];
  const int64_t KH = nchw ? ws[2] : ws[0], KW = nchw ? ws[3] : ws[1];
  BCD_CHECK(in.C == Cg * a.groups && O % a.groups == 0, "conv2d reference: bad channels");
  const int64_t OH = out_extent(in.H, a.padding[0], a.padding[2], KH, a.dilation[0], a.stride[0]);
  const int64_t OW = out_extent(in.W, a.padding[1], a.padding[3], KW, a.dilation[1], a.stride[1]);
  NDArray out(in.shape_with(O, OH, OW));
  Image ov(out.shape(), a.layout);
  auto w_at = [&](int64_t o, int64_t c, int64_t ky, int64_t kx) {
    return nchw ? ((o * Cg + c) * KH + ky) * KW + kx : ((ky * KW + kx) * Cg + c) * O + o;
  };
  const int64_t per_group = O / a.groups;
  for (int64_t n = 0; n < in.N; ++n)
    for (int64_t o = 0; o < O; ++o) {
      const int64_t c0 = (o / per_group) * Cg;  // first input channel of o's group
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          double acc = 0;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t ky = 0; ky < KH; ++ky) {
              const int64_t iy = oy * a.stride[0] - a.padding[0] + ky * a.dilation[0];
              if (iy < 0 || iy >= in.H) continue;
              for (int64_t kx = 0; kx < KW; ++kx) {
                const int64_t ix = ox * a.stride[1] - a.padding[1] + kx * a.dilation[1];
                if (ix < 0 || ix >= in.W) continue;
                acc += double(data[in.at(n, c0 + c, iy, ix)]) * double(weight[w_at(o, c, ky, kx)]);
              }
            }
          out[ov.at(n, o, oy, ox)] = static_cast<float>(acc);
        }
    }
  return out;
}

NDArray dense(const NDArray& data, const NDArray& weight, const NDArray* bias) {
  const int64_t M = data.shape()[0], K = data.shape()[1], N = weight.shape()[0];
  BCD_CHECK(weight.shape()[1] == K, "dense reference: bad shapes");
  NDArray out({M, N});
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double acc = bias ? double((*bias)[n]) : 0.0;
      for (int64_t k = 0; k < K; ++k) acc += double(data[m * K + k]) * double(weight[n * K + k]);
      out[m * N + n] = static_cast<float>(acc);
    }
  return out;
}

NDArray batch_matmul(const NDArray& a, const NDArray& b) {
  const int64_t BA = a.shape()[0], M = a.shape()[1], K = a.shape()[2];
  const int64_t BB = b.shape()[0], N = b.shape()[1];
  BCD_CHECK(b.shape()[2] == K, "batch_matmul reference: bad shapes");
  const int64_t B = std::max(BA, BB);
  NDArray out({B, M, N});
  for (int64_t bi = 0; bi < B; ++bi) {
    const float* pa = a.data() + (BA == 1 ? 0 : bi) * M * K;
    const float* pb = b.data() + (BB == 1 ? 0 : bi) * N * K;
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += double(pa[m * K + k]) * double(pb[n * K + k]);
        out[(bi * M + m) * N + n] = static_cast<float>(acc);
      }
  }
  return out;
}

namespace {

// Visits the in-bounds input positions of every pooling window; `finish` turns the
// visited values into the output value.
template <typename Init, typename Step, typename Finish>
NDArray pool(const NDArray& data, const Pool2DAttrs& a, Init init, Step step, Finish finish) {
  Image in(data.shape(), a.layout);
  const int64_t OH = out_extent(in.H, a.padding[0], a.padding[2], a.kernel[0], 1, a.stride[0]);
  const int64_t OW = out_extent(in.W, a.padding[1], a.padding[3], a.kernel[1], 1, a.stride[1]);
  NDArray out(in.shape_with(in.C, OH, OW));
  Image ov(out.shape(), a.layout);
  for (int64_t n = 0; n < in.N; ++n)
    for (int64_t c = 0; c < in.C; ++c)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          double acc = init();
          int64_t count = 0;
          for (int64_t ky = 0; ky < a.kernel[0]; ++ky) {
            const int64_t iy = oy * a.stride[0] - a.padding[0] + ky;
            if (iy < 0 || iy >= in.H) continue;
            for (int64_t kx = 0; kx < a.kernel[1]; ++kx) {
              const int64_t ix = ox * a.stride[1] - a.padding[1] + kx;
              if (ix < 0 || ix >= in.W) continue;
              acc = step(acc, double(data[in.at(n, c, iy, ix)]));
              ++count;
            }
          }
          out[ov.at(n, c, oy, ox)] = static_cast<float>(finish(acc, count));
        }
  return out;
}

}  // namespace

NDArray max_pool2d(const NDArray& data, const Pool2DAttrs& a) {
  return pool(
      data, a, [] { return -INFINITY; }, [](double acc, double v) { return std::max(acc, v); },
      [](double acc, int64_t) { return acc; });
}

NDArray avg_pool2d(const NDArray& data, const Pool2DAttrs& a) {
  const double window = double(a.kernel[0] * a.kernel[1]);
  return pool(
      data, a, [] { return 0.0; }, [](double acc, double v) { return acc + v; },
      [&](double acc, int64_t count) {
        return acc / (a.count_include_pad ? window : double(count));
      });
}

NDArray global_avg_pool2d(const NDArray& data, Layout layout) {
  Image in(data.shape(), layout);
  NDArray out(in.shape_with(in.C, 1, 1));
  Image ov(out.shape(), layout);
  for (int64_t n = 0; n < in.N; ++n)
    for (int64_t c = 0; c < in.C; ++c) {
      double acc = 0;
      for (int64_t h = 0; h < in.H; ++h)
        for (int64_t w = 0; w < in.W; ++w) acc += data[in.at(n, c, h, w)];
      out[ov.at(n, c, 0, 0)] = static_cast<float>(acc / double(in.H * in.W));
    }
  return out;
}

}  // namespace bcd::ops::ref
