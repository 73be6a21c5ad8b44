// Parsing of layout/window attributes and the shape arithmetic of shape_util.h.
#include <algorithm>

#include "ops/attrs.h"
#include "ops/shape_util.h"
#include "support/error.h"
#include "support/ndarray.h"

namespace bcd::ops {

Layout parse_layout(const std::string& text, const std::string& op) {
  if (text == "NCHW") return Layout::NCHW;
  if (text == "NHWC") return Layout::NHWC;
  fail("{}: unknown layout '{}' (expected NCHW or NHWC)", op, text);
}

const char* layout_name(Layout layout) { return layout == Layout::NCHW ? "NCHW" : "NHWC"; }

namespace {

// The names of each enum's values, in value order.
constexpr const char* kReduceNames[] = {"sum", "mean", "max", "min", "l2"};
constexpr const char* kPadModes[] = {"constant", "reflect", "edge"};
constexpr const char* kResizeCoordinates[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"};
constexpr const char* kNearestRoundings[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};

// The index of `text` among `names`; fails with "<op>: unknown <what> 'x' (expected ...)".
template <size_t N>
size_t name_index(const char* const (&names)[N], const std::string& text, const std::string& op, const char* what) {
  std::string known;
  for (size_t k = 0; k < N; ++k) {
    if (text == names[k]) return k;
    known += (k ? ", " : "") + std::string(names[k]);
  }
  fail("{}: unknown {} '{}' (expected {})", op, what, text, known);
}

}  // namespace

PadMode parse_pad_mode(const std::string& text, const std::string& op) {
  return static_cast<PadMode>(name_index(kPadModes, text, op, "padding mode"));
}

const char* pad_mode_name(PadMode mode) { return kPadModes[static_cast<size_t>(mode)]; }

int64_t pad_source(int64_t i, int64_t extent, PadMode mode) {
  if (mode == PadMode::Edge) return std::clamp<int64_t>(i, 0, extent - 1);
  // Reflect: -1 reads 1, extent reads extent - 2 (pads are below the extent).
  const int64_t last = extent - 1;
  return last - std::abs(last - std::abs(i));
}

ResizeCoordinates parse_resize_coordinates(const std::string& text, const std::string& op) {
  return static_cast<ResizeCoordinates>(name_index(kResizeCoordinates, text, op, "coordinate transformation"));
}
const char* resize_coordinates_name(ResizeCoordinates c) { return kResizeCoordinates[static_cast<size_t>(c)]; }
NearestRounding parse_nearest_rounding(const std::string& text, const std::string& op) {
  return static_cast<NearestRounding>(name_index(kNearestRoundings, text, op, "nearest rounding"));
}
const char* nearest_rounding_name(NearestRounding r) { return kNearestRoundings[static_cast<size_t>(r)]; }

std::pair<int64_t, int64_t> resize_source(int64_t x, int64_t in, int64_t out, ResizeCoordinates c) {
  switch (c) {
    case ResizeCoordinates::PytorchHalfPixel:
      if (out == 1) return {0, 1};
      [[fallthrough]];
    case ResizeCoordinates::HalfPixel: return {(2 * x + 1) * in - out, 2 * out};  // (x + 1/2) in/out - 1/2
    case ResizeCoordinates::AlignCorners:
      if (out == 1) return {0, 1};
      return {x * (in - 1), out - 1};
    case ResizeCoordinates::Asymmetric: return {x * in, out};
  }
  return {0, 1};
}

namespace {
int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
}  // namespace

int64_t resize_nearest(int64_t x, int64_t in, int64_t out, const ResizeAttrs& a) {
  const auto [n, d] = resize_source(x, in, out, a.coordinates);
  int64_t i = 0;
  switch (a.rounding) {
    case NearestRounding::RoundPreferFloor: i = floor_div(2 * n + d - 1, 2 * d); break;  // ceil(n/d - 1/2)
    case NearestRounding::RoundPreferCeil: i = floor_div(2 * n + d, 2 * d); break;       // floor(n/d + 1/2)
    case NearestRounding::Floor: i = floor_div(n, d); break;
    case NearestRounding::Ceil: i = floor_div(n + d - 1, d); break;
  }
  return std::clamp<int64_t>(i, 0, in - 1);
}

std::pair<int64_t, double> resize_linear(int64_t x, int64_t in, int64_t out, const ResizeAttrs& a) {
  const auto [n, d] = resize_source(x, in, out, a.coordinates);
  if (n < 0) return {0, 0.0};  // before the first element: clamped to it
  const int64_t i = n / d;
  if (i >= in - 1) return {in - 1, 0.0};
  return {i, static_cast<double>(n - i * d) / static_cast<double>(d)};
}

void check_resize(const std::vector<int64_t>& in, const ResizeAttrs& a, const std::string& op) {
  if (a.out_shape.size() != in.size())
    fail("{}: output shape {} has another rank than the input {}", op, dims_string(a.out_shape), dims_string(in));
  for (size_t k = 0; k < in.size(); ++k) {
    if (a.out_shape[k] <= 0) fail("{}: output shape {} has an empty dimension", op, dims_string(a.out_shape));
    if (4 * (in[k] + 1) * (a.out_shape[k] + 1) >= (int64_t{1} << 31))
      fail("{}: resizing {} to {} is too large", op, in[k], a.out_shape[k]);
  }
}

ReduceKind parse_reduce_kind(const std::string& text, const std::string& op) {
  return static_cast<ReduceKind>(name_index(kReduceNames, text, op, "reduction"));
}

const char* reduce_kind_name(ReduceKind kind) { return kReduceNames[static_cast<size_t>(kind)]; }

SliceAttrs resolve_slice(const std::vector<int64_t>& shape, const std::vector<int64_t>& starts,
                         const std::vector<int64_t>& ends, std::vector<int64_t> axes,
                         std::vector<int64_t> steps, const std::string& op) {
  const auto rank = static_cast<int64_t>(shape.size());
  if (axes.empty())
    for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    fail("{}: starts, ends, axes and steps differ in length ({}, {}, {}, {})", op, starts.size(), ends.size(),
         axes.size(), steps.size());
  SliceAttrs s{std::vector<int64_t>(shape.size(), 0), std::vector<int64_t>(shape.size(), 1), shape};
  std::vector<bool> seen(shape.size(), false);
  for (size_t k = 0; k < starts.size(); ++k) {
    if (axes[k] < -rank || axes[k] >= rank) fail("{}: axis {} is out of range for rank {}", op, axes[k], rank);
    const auto d = static_cast<size_t>(axes[k] < 0 ? axes[k] + rank : axes[k]);
    if (seen[d]) fail("{}: axis {} is given twice", op, axes[k]);
    seen[d] = true;
    const int64_t dim = shape[d], step = steps[k];
    if (step == 0) fail("{}: step 0 on axis {}", op, axes[k]);
    // Clamped to [0, dim] going forward, [-1, dim - 1] going backward (ONNX's rule).
    auto clamp = [&](int64_t v) {
      if (v < 0) v = v < -dim ? (step > 0 ? 0 : -1) : v + dim;
      return step > 0 ? std::min(v, dim) : std::min(v, dim - 1);
    };
    const int64_t b = clamp(starts[k]), e = clamp(ends[k]);
    s.begin[d] = b;
    s.step[d] = step;
    s.extent[d] = step > 0 ? std::max<int64_t>(0, (e - b + step - 1) / step)
                           : std::max<int64_t>(0, (b - e - step - 1) / -step);
  }
  return s;
}

std::vector<int64_t> reduce_shape(const std::vector<int64_t>& in, const ReduceAttrs& attrs,
                                  std::vector<int64_t>* axes, const std::string& op) {
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<bool> reduced(in.size(), attrs.axes.empty());
  for (int64_t a : attrs.axes) {
    if (a < -rank || a >= rank) fail("{}: axis {} is out of range for rank {}", op, a, rank);
    const auto d = static_cast<size_t>(a < 0 ? a + rank : a);
    if (reduced[d]) fail("{}: axis {} is given twice", op, a);
    reduced[d] = true;
  }
  std::vector<int64_t> out;
  axes->clear();
  for (size_t d = 0; d < in.size(); ++d) {
    if (reduced[d]) axes->push_back(static_cast<int64_t>(d));
    if (!reduced[d] || attrs.keepdims) out.push_back(reduced[d] ? 1 : in[d]);
  }
  if (out.empty()) out.push_back(1);
  return out;
}

Padding2D padding_from_list(const std::vector<int64_t>& v, const std::string& op) {
  Padding2D p;
  if (v.size() == 1) {
    p = {v[0], v[0], v[0], v[0]};
  } else if (v.size() == 2) {
    p = {v[0], v[1], v[0], v[1]};
  } else if (v.size() == 4) {
    p = {v[0], v[1], v[2], v[3]};
  } else {
    fail("{}: padding needs 1, 2 (HxW) or 4 (top x left x bottom x right) values, got {}", op,
         v.size());
  }
  for (int64_t x : p)
    if (x < 0) fail("{}: negative padding {}", op, dims_string(v));
  return p;
}

std::array<int64_t, 2> pair_from_list(const std::vector<int64_t>& v, const std::string& what,
                                      const std::string& op) {
  if (v.size() == 1) return {v[0], v[0]};
  if (v.size() == 2) return {v[0], v[1]};
  fail("{}: {} needs 1 or 2 (HxW) values, got {}", op, what, v.size());
}

WindowGeometry window_output(int64_t in_h, int64_t in_w, const std::array<int64_t, 2>& kernel,
                             const std::array<int64_t, 2>& stride, const Padding2D& padding,
                             const std::array<int64_t, 2>& dilation, const std::string& op) {
  if (kernel[0] <= 0 || kernel[1] <= 0)
    fail("{}: kernel {}x{} must be positive", op, kernel[0], kernel[1]);
  if (stride[0] <= 0 || stride[1] <= 0)
    fail("{}: stride {}x{} must be positive", op, stride[0], stride[1]);
  if (dilation[0] <= 0 || dilation[1] <= 0)
    fail("{}: dilation {}x{} must be positive", op, dilation[0], dilation[1]);
  for (int64_t p : padding)
    if (p < 0)
      fail("{}: negative padding {}x{}x{}x{}", op, padding[0], padding[1], padding[2],
           padding[3]);
  int64_t kh = dilation[0] * (kernel[0] - 1) + 1;
  int64_t kw = dilation[1] * (kernel[1] - 1) + 1;
  int64_t ph = in_h + padding[0] + padding[2];
  int64_t pw = in_w + padding[1] + padding[3];
  if (kh > ph || kw > pw)
    fail("{}: {}kernel {}x{} larger than padded input {}x{}", op,
         (dilation[0] > 1 || dilation[1] > 1) ? "dilated " : "", kh, kw, ph, pw);
  return {(ph - kh) / stride[0] + 1, (pw - kw) / stride[1] + 1};
}

std::string dims_string(const std::vector<int64_t>& shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s.empty() ? "(scalar)" : s;
}

void check_shape(const std::vector<int64_t>& shape, const std::string& what,
                 const std::string& op) {
  if (shape.empty()) fail("{}: {} has no dimensions", op, what);
  for (int64_t d : shape)
    if (d <= 0) fail("{}: {} shape {} has a non-positive dimension", op, what, dims_string(shape));
}

void check_rank(const std::vector<int64_t>& shape, size_t rank, const std::string& what,
                const std::string& op) {
  if (shape.size() != rank)
    fail("{}: {} must have rank {}, got shape {}", op, what, rank, dims_string(shape));
  check_shape(shape, what, op);
}

int normalize_axis(int64_t axis, size_t rank, const std::string& op) {
  int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) fail("{}: axis {} out of range for rank {}", op, axis, rank);
  return static_cast<int>(axis < 0 ? axis + r : axis);
}

std::vector<int64_t> broadcast_shape(const std::vector<int64_t>& a,
                                     const std::vector<int64_t>& b, const std::string& op) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Dimension i counted from the right; a missing dimension broadcasts like 1.
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      fail("{}: shapes {} and {} are not broadcastable", op, dims_string(a), dims_string(b));
    out[rank - 1 - i] = std::max(da, db);
  }
  return out;
}

std::vector<int64_t> resolve_reshape(const std::vector<int64_t>& in_shape,
                                     const std::vector<int64_t>& new_shape,
                                     const std::string& op) {
  if (new_shape.empty()) fail("{}: empty target shape", op);
  int64_t known = 1;
  int inferred = -1;
  for (size_t i = 0; i < new_shape.size(); ++i) {
    if (new_shape[i] == -1) {
      if (inferred >= 0) fail("{}: more than one -1 in target shape {}", op, dims_string(new_shape));
      inferred = static_cast<int>(i);
    } else if (new_shape[i] <= 0) {
      fail("{}: target shape {} has a non-positive dimension", op, dims_string(new_shape));
    } else if (__builtin_mul_overflow(known, new_shape[i], &known) || known > kMaxTensorElements) {
      fail("{}: target shape {} has more than 2^36 elements", op, dims_string(new_shape));
    }
  }
  const int64_t size = checked_shape_size(in_shape, op);
  std::vector<int64_t> out = new_shape;
  if (inferred >= 0) {
    if (size % known != 0)
      fail("{}: cannot reshape {} into {}", op, dims_string(in_shape), dims_string(new_shape));
    out[inferred] = size / known;
  } else if (known != size) {
    fail("{}: cannot reshape {} ({} elements) into {} ({} elements)", op, dims_string(in_shape),
         size, dims_string(new_shape), known);
  }
  return out;
}

std::vector<int> resolve_permutation(const std::vector<int64_t>& axes, size_t rank,
                                     const std::string& op) {
  std::vector<int> perm;
  if (axes.empty()) {
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int>(rank - 1 - i));
    return perm;
  }
  if (axes.size() != rank)
    fail("{}: {} axes given for rank {} (need a permutation of all axes)", op, axes.size(), rank);
  std::vector<bool> seen(rank, false);
  for (int64_t a : axes) {
    int n = normalize_axis(a, rank, op);
    if (seen[n]) fail("{}: axis {} repeated in permutation {}", op, n, dims_string(axes));
    seen[n] = true;
    perm.push_back(n);
  }
  return perm;
}

}  // namespace bcd::ops
