// Reference normalizations, elementwise and layout operators: direct loops in double.
#include <algorithm>
#include <cmath>

#include "ops/reference.h"
#include "support/error.h"

namespace bcd::ops::ref {

namespace {

int axis_of(int64_t axis, size_t rank) {
  int64_t r = static_cast<int64_t>(rank);
  BCD_CHECK(axis >= -r && axis < r, "axis {} for rank {}", axis, rank);
  return static_cast<int>(axis < 0 ? axis + r : axis);
}

// A tensor seen as [outer, extent, inner] around one axis.
struct AxisSplit {
  int64_t outer = 1, extent = 1, inner = 1;
  AxisSplit(const std::vector<int64_t>& s, int axis) {
    for (int d = 0; d < static_cast<int>(s.size()); ++d)
      (d < axis ? outer : d == axis ? extent : inner) *= s[d];
  }
};

// Row-major strides.
std::vector<int64_t> strides_of(const std::vector<int64_t>& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (size_t d = s.size(); d-- > 1;) st[d - 1] = st[d] * s[d];
  return st;
}

// Calls f(flat output offset, multi-index) for every element of `shape`, in order.
template <typename F>
void for_each_index(const std::vector<int64_t>& shape, F f) {
  std::vector<int64_t> idx(shape.size(), 0);
  int64_t total = 1;
  for (int64_t d : shape) total *= d;
  for (int64_t flat = 0; flat < total; ++flat) {
    f(flat, idx);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

template <typename F>
NDArray map(const NDArray& x, F f) {
  NDArray out(x.shape());
  for (int64_t i = 0; i < x.size(); ++i) out[i] = static_cast<float>(f(double(x[i])));
  return out;
}

template <typename F>
NDArray broadcast(const NDArray& a, const NDArray& b, F f) {
  const auto& sa = a.shape();
  const auto& sb = b.shape();
  const size_t rank = std::max(sa.size(), sb.size());
  std::vector<int64_t> shape(rank);
  // Per output dimension, the stride into a and b (0 where that side broadcasts).
  std::vector<int64_t> stride_a(rank, 0), stride_b(rank, 0);
  auto st_a = strides_of(sa), st_b = strides_of(sb);
  for (size_t i = 0; i < rank; ++i) {
    const size_t d = rank - 1 - i;
    const int64_t da = i < sa.size() ? sa[sa.size() - 1 - i] : 1;
    const int64_t db = i < sb.size() ? sb[sb.size() - 1 - i] : 1;
    BCD_CHECK(da == db || da == 1 || db == 1, "not broadcastable");
    shape[d] = std::max(da, db);
    if (da != 1) stride_a[d] = st_a[sa.size() - 1 - i];
    if (db != 1) stride_b[d] = st_b[sb.size() - 1 - i];
  }
  NDArray out(shape);
  for_each_index(shape, [&](int64_t flat, const std::vector<int64_t>& idx) {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < rank; ++d) {
      oa += idx[d] * stride_a[d];
      ob += idx[d] * stride_b[d];
    }
    out[flat] = static_cast<float>(f(double(a[oa]), double(b[ob])));
  });
  return out;
}

// x[..., c, ...] * scale[c] + shift[c] (scale null means 1).
NDArray per_channel(const NDArray& x, const NDArray* scale, const NDArray& shift, int64_t axis) {
  AxisSplit s(x.shape(), axis_of(axis, x.shape().size()));
  BCD_CHECK(shift.size() == s.extent, "per-channel vector of {} for extent {}", shift.size(),
            s.extent);
  NDArray out(x.shape());
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t c = 0; c < s.extent; ++c)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t off = (o * s.extent + c) * s.inner + i;
        const double m = scale ? double((*scale)[c]) : 1.0;
        out[off] = static_cast<float>(double(x[off]) * m + double(shift[c]));
      }
  return out;
}

}  // namespace

NDArray softmax(const NDArray& data, int64_t axis) {
  AxisSplit s(data.shape(), axis_of(axis, data.shape().size()));
  NDArray out(data.shape());
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      auto at = [&](int64_t k) { return (o * s.extent + k) * s.inner + i; };
      double mx = -INFINITY, total = 0;
      for (int64_t k = 0; k < s.extent; ++k) mx = std::max(mx, double(data[at(k)]));
      for (int64_t k = 0; k < s.extent; ++k) total += std::exp(double(data[at(k)]) - mx);
      for (int64_t k = 0; k < s.extent; ++k)
        out[at(k)] = static_cast<float>(std::exp(double(data[at(k)]) - mx) / total);
    }
  return out;
}

NDArray reduce(const NDArray& data, const ReduceAttrs& attrs) {
  std::vector<int64_t> axes;
  const auto& in = data.shape();
  NDArray out(reduce_shape(in, attrs, &axes, "reduce"));
  std::vector<bool> reduced(in.size(), false);
  for (int64_t a : axes) reduced[static_cast<size_t>(a)] = true;
  // Output offset of every input element: its index with the reduced axes dropped.
  std::vector<int64_t> out_stride(in.size(), 0);
  for (int64_t d = static_cast<int64_t>(in.size()) - 1, s = 1; d >= 0; --d)
    if (!reduced[static_cast<size_t>(d)]) {
      out_stride[static_cast<size_t>(d)] = s;
      s *= in[static_cast<size_t>(d)];
    }
  const bool extreme = attrs.kind == ReduceKind::Max || attrs.kind == ReduceKind::Min;
  std::vector<double> acc(static_cast<size_t>(out.size()),
                          attrs.kind == ReduceKind::Max ? -INFINITY : attrs.kind == ReduceKind::Min ? INFINITY : 0.0);
  std::vector<int64_t> idx(in.size(), 0);
  int64_t count = 1;
  for (int64_t a : axes) count *= in[static_cast<size_t>(a)];
  for (int64_t k = 0; k < data.size(); ++k) {
    int64_t o = 0;
    for (size_t d = 0; d < in.size(); ++d) o += idx[d] * out_stride[d];
    const double v = data[k];
    double& a = acc[static_cast<size_t>(o)];
    if (extreme)
      a = attrs.kind == ReduceKind::Max ? std::max(a, v) : std::min(a, v);
    else
      a += attrs.kind == ReduceKind::L2 ? v * v : v;
    for (size_t d = in.size(); d-- > 0;) {
      if (++idx[d] < in[d]) break;
      idx[d] = 0;
    }
  }
  for (int64_t o = 0; o < out.size(); ++o) {
    double a = acc[static_cast<size_t>(o)];
    if (attrs.kind == ReduceKind::Mean) a /= static_cast<double>(count);
    if (attrs.kind == ReduceKind::L2) a = std::sqrt(a);
    out[o] = static_cast<float>(a);
  }
  return out;
}

NDArray layer_norm(const NDArray& data, const NDArray& gamma, const NDArray& beta,
                   double epsilon) {
  const int64_t n = data.shape().back();
  BCD_CHECK(gamma.size() == n && beta.size() == n, "layer_norm reference: bad gamma/beta");
  NDArray out(data.shape());
  for (int64_t row = 0; row < data.size() / n; ++row) {
    const float* x = data.data() + row * n;
    double mean = 0, var = 0;
    for (int64_t k = 0; k < n; ++k) mean += x[k];
    mean /= double(n);
    for (int64_t k = 0; k < n; ++k) var += (x[k] - mean) * (x[k] - mean);
    var /= double(n);
    const double inv = 1.0 / std::sqrt(var + epsilon);
    for (int64_t k = 0; k < n; ++k)
      out[row * n + k] = static_cast<float>((x[k] - mean) * inv * gamma[k] + beta[k]);
  }
  return out;
}

NDArray batch_norm(const NDArray& data, const NDArray& scale, const NDArray& shift,
                   int64_t axis) {
  return per_channel(data, &scale, shift, axis);
}

NDArray relu(const NDArray& x) {
  return map(x, [](double v) { return v > 0 ? v : 0.0; });
}
NDArray relu6(const NDArray& x) {
  return map(x, [](double v) { return std::min(std::max(v, 0.0), 6.0); });
}
NDArray clip(const NDArray& x, double lo, double hi) {
  return map(x, [=](double v) { return std::min(std::max(v, lo), hi); });
}
NDArray sigmoid(const NDArray& x) {
  return map(x, [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
}
NDArray tanh(const NDArray& x) {
  return map(x, [](double v) { return std::tanh(v); });
}
NDArray gelu(const NDArray& x) {
  return map(x, [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); });
}

NDArray add(const NDArray& a, const NDArray& b) {
  return broadcast(a, b, [](double x, double y) { return x + y; });
}
NDArray subtract(const NDArray& a, const NDArray& b) {
  return broadcast(a, b, [](double x, double y) { return x - y; });
}
NDArray multiply(const NDArray& a, const NDArray& b) {
  return broadcast(a, b, [](double x, double y) { return x * y; });
}
NDArray divide(const NDArray& a, const NDArray& b) {
  return broadcast(a, b, [](double x, double y) { return x / y; });
}
NDArray pow(const NDArray& a, const NDArray& b) {
  return broadcast(a, b, [](double x, double y) { return std::pow(x, y); });
}
NDArray sqrt(const NDArray& x) {
  return map(x, [](double v) { return std::sqrt(v); });
}
NDArray exp(const NDArray& x) {
  return map(x, [](double v) { return std::exp(v); });
}
NDArray log(const NDArray& x) {
  return map(x, [](double v) { return std::log(v); });
}
NDArray erf(const NDArray& x) {
  return map(x, [](double v) { return std::erf(v); });
}
NDArray abs(const NDArray& x) {
  return map(x, [](double v) { return std::fabs(v); });
}
NDArray neg(const NDArray& x) {
  return map(x, [](double v) { return -v; });
}
NDArray reciprocal(const NDArray& x) {
  return map(x, [](double v) { return 1.0 / v; });
}

NDArray bias_add(const NDArray& data, const NDArray& bias, int64_t axis) {
  return per_channel(data, nullptr, bias, axis);
}

NDArray pad(const NDArray& data, const PadAttrs& attrs) {
  const auto& s = data.shape();
  BCD_CHECK(attrs.before.size() == s.size() && attrs.after.size() == s.size(), "pad rank");
  std::vector<int64_t> shape = s;
  for (size_t d = 0; d < s.size(); ++d) shape[d] += attrs.before[d] + attrs.after[d];
  NDArray out(shape);
  if (attrs.mode != PadMode::Constant) {
    const auto in_st = strides_of(s);
    for_each_index(shape, [&](int64_t flat, const std::vector<int64_t>& idx) {
      int64_t off = 0;
      for (size_t d = 0; d < s.size(); ++d) off += pad_source(idx[d] - attrs.before[d], s[d], attrs.mode) * in_st[d];
      out[flat] = data[off];
    });
    return out;
  }
  out.fill(static_cast<float>(attrs.value));
  // Copy every input element to its shifted position.
  auto st = strides_of(shape);
  for_each_index(s, [&](int64_t flat, const std::vector<int64_t>& idx) {
    int64_t off = 0;
    for (size_t d = 0; d < s.size(); ++d) off += (idx[d] + attrs.before[d]) * st[d];
    out[off] = data[flat];
  });
  return out;
}

NDArray concat(const std::vector<const NDArray*>& inputs, int64_t axis) {
  BCD_CHECK(!inputs.empty(), "concat of nothing");
  const int ax = axis_of(axis, inputs[0]->shape().size());
  std::vector<int64_t> shape = inputs[0]->shape();
  shape[ax] = 0;
  for (const NDArray* in : inputs) shape[ax] += in->shape()[ax];
  NDArray out(shape);
  AxisSplit os(shape, ax);
  int64_t start = 0;  // where the current input begins along the axis
  for (const NDArray* in : inputs) {
    AxisSplit is(in->shape(), ax);
    for (int64_t o = 0; o < is.outer; ++o)
      for (int64_t k = 0; k < is.extent; ++k)
        for (int64_t i = 0; i < is.inner; ++i)
          out[(o * os.extent + start + k) * os.inner + i] = (*in)[(o * is.extent + k) * is.inner + i];
    start += is.extent;
  }
  return out;
}

NDArray reshape(const NDArray& data, const std::vector<int64_t>& new_shape) {
  std::vector<int64_t> shape = new_shape;
  int64_t known = 1;
  for (int64_t d : shape)
    if (d != -1) known *= d;
  for (int64_t& d : shape)
    if (d == -1) d = data.size() / known;
  NDArray out(shape);
  BCD_CHECK(out.size() == data.size(), "reshape of {} elements into {}", data.size(), out.size());
  std::copy(data.data(), data.data() + data.size(), out.data());
  return out;
}

NDArray flatten(const NDArray& data, int64_t axis) {
  const auto& s = data.shape();
  if (axis < 0) axis += static_cast<int64_t>(s.size());
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= s[d];
  return reshape(data, {outer, data.size() / outer});
}

NDArray slice(const NDArray& data, const SliceAttrs& attrs) {
  const auto st = strides_of(data.shape());
  NDArray out(attrs.extent);
  for_each_index(attrs.extent, [&](int64_t flat, const std::vector<int64_t>& idx) {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) off += (attrs.begin[d] + idx[d] * attrs.step[d]) * st[d];
    out[flat] = data[off];
  });
  return out;
}

NDArray resize(const NDArray& data, const ResizeAttrs& attrs) {
  const auto& s = data.shape();
  check_resize(s, attrs, "resize");
  const auto st = strides_of(s);
  NDArray out(attrs.out_shape);
  for_each_index(attrs.out_shape, [&](int64_t flat, const std::vector<int64_t>& idx) {
    if (attrs.mode == ResizeMode::Nearest) {
      int64_t off = 0;
      for (size_t d = 0; d < s.size(); ++d) off += resize_nearest(idx[d], s[d], attrs.out_shape[d], attrs) * st[d];
      out[flat] = data[off];
      return;
    }
    // Separable linear interpolation: sum over the corners of the weight products.
    std::vector<std::pair<int64_t, double>> taps;
    for (size_t d = 0; d < s.size(); ++d) taps.push_back(resize_linear(idx[d], s[d], attrs.out_shape[d], attrs));
    double total = 0;
    for (size_t corner = 0; corner < (size_t{1} << s.size()); ++corner) {
      double w = 1;
      int64_t off = 0;
      for (size_t d = 0; d < s.size(); ++d) {
        const bool up = (corner >> d) & 1;
        w *= up ? taps[d].second : 1 - taps[d].second;
        off += (up ? std::min(taps[d].first + 1, s[d] - 1) : taps[d].first) * st[d];
      }
      if (w != 0) total += w * data[off];
    }
    out[flat] = static_cast<float>(total);
  });
  return out;
}

NDArray transpose(const NDArray& data, const std::vector<int64_t>& axes) {
  const auto& s = data.shape();
  const size_t rank = s.size();
  std::vector<int64_t> perm;
  for (size_t i = 0; i < rank; ++i)
    perm.push_back(axes.empty() ? int64_t(rank - 1 - i) : axis_of(axes[i], rank));
  std::vector<int64_t> shape;
  for (int64_t p : perm) shape.push_back(s[p]);
  NDArray out(shape);
  auto st = strides_of(s);
  for_each_index(shape, [&](int64_t flat, const std::vector<int64_t>& idx) {
    int64_t off = 0;
    for (size_t i = 0; i < rank; ++i) off += idx[i] * st[perm[i]];
    out[flat] = data[off];
  });
  return out;
}

}  // namespace bcd::ops::ref
