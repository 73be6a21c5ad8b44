// Shape arithmetic at import: the ONNX operators whose result is known once the
// input shapes are fixed (Shape, Gather, Slice, Concat, Cast, Equal, Where,
// ConstantOfShape, Range, Expand, and arithmetic on constants). Exporters emit them
// for `x.view(x.size(0), -1)`, channel shuffles and attention reshapes; folded here,
// those idioms reach Reshape as static shapes and no graph node is made for them.
#ifdef BCD_HAVE_ONNX
#include <cmath>
#include <functional>

#include "frontends/onnx_importer.h"
#include "ops/shape_util.h"
#include "support/error.h"
#include "support/memory_limit.h"
#include "support/ndarray.h"

namespace bcd::frontends::onnx_detail {

namespace {

// A constant as doubles, whatever its element type (int64 values of shapes are exact
// in a double far beyond any real dimension).
struct Folded {
  Shape shape;
  std::vector<double> v;
  bool integer = false;
};

// The number of values of a folded constant of `shape` (empty dimensions allowed),
// checked for overflow and, as doubles, against the memory limit before anything
// is allocated: a ConstantOfShape or Expand of a huge declared shape is refused.
size_t folded_count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) fail("shape {} has a negative dimension", dims(shape));
    if (__builtin_mul_overflow(n, d, &n) || n > kMaxTensorElements)
      fail("shape {} has more than 2^36 elements, more than bcd can hold", dims(shape));
  }
  check_allocation(static_cast<uint64_t>(n) * sizeof(double), "a constant of shape " + dims(shape));
  return static_cast<size_t>(n);
}

Shape strides_of(const Shape& s) {
  Shape st(s.size(), 1);
  for (size_t d = s.size(); d-- > 1;) st[d - 1] = st[d] * s[d];
  return st;
}

// The element of `f` that broadcasts to multi-index `idx` of a result of rank `rank`.
double at_broadcast(const Folded& f, const Shape& idx) {
  const size_t off = idx.size() - f.shape.size();
  const Shape st = strides_of(f.shape);
  int64_t k = 0;
  for (size_t d = 0; d < f.shape.size(); ++d) k += (f.shape[d] == 1 ? 0 : idx[off + d]) * st[d];
  return f.v[static_cast<size_t>(k)];
}

// Applies `op` elementwise with numpy broadcasting.
Folded broadcast(const std::vector<const Folded*>& in, bool integer,
                 const std::function<double(const std::vector<double>&)>& op) {
  Shape out;
  for (const Folded* f : in) out = ops::broadcast_shape(out, f->shape, "broadcast");
  Folded r{out, {}, integer};
  const int64_t n = static_cast<int64_t>(folded_count(out));
  r.v.resize(static_cast<size_t>(n));
  Shape idx(out.size(), 0);
  std::vector<double> args(in.size());
  for (int64_t k = 0; k < n; ++k) {
    for (size_t a = 0; a < in.size(); ++a) args[a] = at_broadcast(*in[a], idx);
    r.v[static_cast<size_t>(k)] = op(args);
    for (size_t d = out.size(); d-- > 0;) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return r;
}

int64_t axis_in(int64_t axis, size_t rank, const char* what) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= std::max<int64_t>(r, 1)) fail("{} {} is out of range for rank {}", what, axis, rank);
  return axis < 0 ? axis + r : axis;
}

}  // namespace

ops::SliceAttrs Importer::slice_attrs(const NodeProto& n, const Shape& shape) const {
  Shape starts, ends, axes, steps;
  if (opset_ < 10) {
    starts = attr_ints(n, "starts", {});
    ends = attr_ints(n, "ends", {});
    axes = attr_ints(n, "axes", {});
  } else {
    expect_inputs(n, 3, 5);
    starts = int_data(*const_input(n, 1, "starts"), "starts");
    ends = int_data(*const_input(n, 2, "ends"), "ends");
    if (has_input(n, 3)) axes = int_data(*const_input(n, 3, "axes"), "axes");
    if (has_input(n, 4)) steps = int_data(*const_input(n, 4, "steps"), "steps");
  }
  return ops::resolve_slice(shape, starts, ends, axes, steps, "Slice");
}

bool Importer::all_const(const NodeProto& n) const {
  for (int k = 0; k < n.input_size(); ++k)
    if (has_input(n, k) && input(n, k).kind != Value::Kind::Const) return false;
  return true;
}

static Folded unfold(const Const& c, const std::string& what) {
  if (!c.unusable.empty()) fail("{}", c.unusable);
  Folded f{c.shape, {}, c.i != nullptr};
  if (c.i) {
    f.v.assign(c.i->begin(), c.i->end());
  } else {
    if (!c.f) fail("{} '{}' has no data", what, c.name);
    f.v.assign(c.f->data(), c.f->data() + c.f->size());
  }
  return f;
}

static ConstPtr refold(const Folded& f, const std::string& name) {
  auto c = std::make_shared<Const>();
  c->name = name;
  c->shape = f.shape;
  if (f.integer) {
    std::vector<int64_t> v;
    for (double x : f.v) v.push_back(static_cast<int64_t>(x));
    c->i = std::make_shared<const std::vector<int64_t>>(std::move(v));
  } else {
    auto a = std::make_shared<NDArray>(f.shape);
    for (size_t k = 0; k < f.v.size(); ++k) (*a)[static_cast<int64_t>(k)] = static_cast<float>(f.v[k]);
    c->f = std::move(a);
  }
  return c;
}

bool Importer::try_fold(const NodeProto& n) {
  const std::string& op = n.op_type();
  if (op == "Shape") {
    expect_inputs(n, 1, 1);
    const Shape s = shape_of(input(n, 0));
    const auto rank = static_cast<int64_t>(s.size());
    auto clamp = [&](int64_t k) { return std::clamp<int64_t>(k < 0 ? k + rank : k, 0, rank); };
    const int64_t start = clamp(attr_int(n, "start", 0)), end = clamp(attr_int(n, "end", rank));
    Folded f{{std::max<int64_t>(0, end - start)}, {}, true};
    for (int64_t d = start; d < end; ++d) f.v.push_back(static_cast<double>(s[static_cast<size_t>(d)]));
    set_output(n, Value::of_const(refold(f, n.output(0))));
    return true;
  }
  if (op == "ConstantOfShape") {
    expect_inputs(n, 1, 1);
    const Shape shape = int_data(*const_input(n, 0, "shape"), "shape");
    Folded f{shape, {}, false};
    double value = 0;
    if (const auto* a = attr(n, "value")) {
      onnx::TensorProto t = a->t();
      const Folded v = unfold(*to_const(t, "value"), "value");
      if (v.v.size() != 1) fail("attribute 'value' must hold one element");
      value = v.v[0];
      f.integer = v.integer;
    }
    f.v.assign(folded_count(shape), value);
    set_output(n, Value::of_const(refold(f, n.output(0))));
    return true;
  }
  if (op == "Cast" && !all_const(n)) {
    // Our data is float32: a cast of it to float is the value itself.
    expect_inputs(n, 1, 1);
    const int64_t to = attr_int(n, "to", 0);
    if (to != onnx::TensorProto::FLOAT) fail("Cast of data to {} is not supported (only to FLOAT)", type_name(static_cast<int>(to)));
    set_output(n, input(n, 0));
    return true;
  }
  if (!all_const(n) || n.input_size() == 0) return false;
  auto in = [&](int k) { return unfold(*input(n, k).c, n.input(k)); };
  Folded r;
  if (const auto* pw = fmtx::pointwise_by_onnx(op); pw && pw->inputs == 2) {
    const Folded a = in(0), b = in(1);
    const bool integer = a.integer && b.integer;
    r = broadcast({&a, &b}, integer, [&](const std::vector<double>& x) {
      switch (pw->op) {
        case OpType::Add: return x[0] + x[1];
        case OpType::Subtract: return x[0] - x[1];
        case OpType::Multiply: return x[0] * x[1];
        case OpType::Divide:
          if (integer && x[1] == 0) fail("integer division by zero");
          return integer ? std::trunc(x[0] / x[1]) : x[0] / x[1];
        default: return std::pow(x[0], x[1]);
      }
    });
  } else if (const auto* pw1 = fmtx::pointwise_by_onnx(op); pw1 && pw1->inputs == 1) {
    const Folded a = in(0);
    const bool keeps_ints = pw1->op == OpType::Neg || pw1->op == OpType::Abs;
    r = broadcast({&a}, a.integer && keeps_ints, [&](const std::vector<double>& x) {
      switch (pw1->op) {
        case OpType::Neg: return -x[0];
        case OpType::Abs: return std::abs(x[0]);
        case OpType::Sqrt: return std::sqrt(x[0]);
        case OpType::Exp: return std::exp(x[0]);
        case OpType::Log: return std::log(x[0]);
        case OpType::Reciprocal: return 1.0 / x[0];
        case OpType::Relu: return std::max(x[0], 0.0);
        default: fail("{} of a constant is not folded", op);
      }
    });
  } else if (op == "ScatterND") {
    // data with the slices at `indices` (last axis: a prefix of data's index) replaced
    // by `updates` (reduction "none").
    expect_inputs(n, 3, 3);
    r = in(0);
    const Folded idx = in(1), upd = in(2);
    if (idx.shape.empty()) fail("indices must have at least one dimension");
    const auto k = static_cast<size_t>(idx.shape.back());
    if (k > r.shape.size()) fail("index tuples of {} for data of rank {}", k, r.shape.size());
    const Shape st = strides_of(r.shape);
    const int64_t block = shape_size(Shape(r.shape.begin() + static_cast<std::ptrdiff_t>(k), r.shape.end()));
    const int64_t tuples = shape_size(idx.shape) / static_cast<int64_t>(std::max<size_t>(k, 1));
    if (static_cast<int64_t>(upd.v.size()) != tuples * block) fail("updates do not match indices and data");
    for (int64_t t = 0; t < tuples; ++t) {
      int64_t off = 0;
      for (size_t d = 0; d < k; ++d) {
        auto i = static_cast<int64_t>(idx.v[static_cast<size_t>(t) * k + d]);
        if (i < 0) i += r.shape[d];
        if (i < 0 || i >= r.shape[d]) fail("index {} is out of range for dimension {}", i, d);
        off += i * st[d];
      }
      for (int64_t b = 0; b < block; ++b)
        r.v[static_cast<size_t>(off + b)] = upd.v[static_cast<size_t>(t * block + b)];
    }
    r.integer = r.integer && upd.integer;
  } else if (op == "Not") {
    r = in(0);
    for (double& x : r.v) x = x == 0 ? 1 : 0;
    r.integer = true;
  } else if (op == "And" || op == "Or" || op == "Xor") {
    const Folded a = in(0), b = in(1);
    r = broadcast({&a, &b}, true, [&](const std::vector<double>& x) {
      const bool p = x[0] != 0, q = x[1] != 0;
      return double(op == "And" ? p && q : op == "Or" ? p || q : p != q);
    });
  } else if (op == "Floor" || op == "Ceil") {
    r = in(0);
    for (double& x : r.v) x = op == "Floor" ? std::floor(x) : std::ceil(x);
  } else if (op == "Mod" || op == "Min" || op == "Max") {
    // Min and Max of any number of constants; Mod: fmod=1 is C's remainder, else
    // the divisor's sign (Python's).
    if (op == "Mod") expect_inputs(n, 2, 2);
    const bool c_mod = attr_int(n, "fmod", 0) != 0;
    std::vector<Folded> all;
    for (int k = 0; k < n.input_size(); ++k) all.push_back(in(k));
    std::vector<const Folded*> ptrs;
    bool integer = true;
    for (const Folded& f : all) {
      ptrs.push_back(&f);
      integer = integer && f.integer;
    }
    r = broadcast(ptrs, integer, [&](const std::vector<double>& x) {
      if (op == "Mod") {
        if (x[1] == 0) fail("Mod by zero");
        const double m = std::fmod(x[0], x[1]);
        return c_mod || m == 0 || ((m < 0) == (x[1] < 0)) ? m : m + x[1];
      }
      double v = x[0];
      for (double y : x) v = op == "Min" ? std::min(v, y) : std::max(v, y);
      return v;
    });
  } else if (op == "Equal" || op == "Less" || op == "Greater") {
    const Folded a = in(0), b = in(1);
    r = broadcast({&a, &b}, true, [&](const std::vector<double>& x) {
      return double(op == "Equal" ? x[0] == x[1] : op == "Less" ? x[0] < x[1] : x[0] > x[1]);
    });
  } else if (op == "Where") {
    const Folded c = in(0), a = in(1), b = in(2);
    r = broadcast({&c, &a, &b}, a.integer && b.integer,
                  [](const std::vector<double>& x) { return x[0] != 0 ? x[1] : x[2]; });
  } else if (op == "Expand") {
    const Folded a = in(0);
    const Shape target = int_data(*input(n, 1).c, "shape");
    Folded shape_only{target, std::vector<double>(folded_count(target), 0.0), true};
    r = broadcast({&a, &shape_only}, a.integer, [](const std::vector<double>& x) { return x[0]; });
  } else if (op == "Cast") {
    r = in(0);
    const int64_t to = attr_int(n, "to", onnx::TensorProto::FLOAT);
    if (to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE) {
      r.integer = false;
    } else if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32 || to == onnx::TensorProto::BOOL) {
      for (double& x : r.v) x = to == onnx::TensorProto::BOOL ? double(x != 0) : std::trunc(x);
      r.integer = true;
    } else {
      fail("Cast to {} is not supported", type_name(static_cast<int>(to)));
    }
  } else if (op == "Range") {
    const Folded s = in(0), l = in(1), d = in(2);
    if (s.v.size() != 1 || l.v.size() != 1 || d.v.size() != 1) fail("start, limit and delta must be scalars");
    if (d.v[0] == 0) fail("delta is 0");
    const double steps = std::ceil((l.v[0] - s.v[0]) / d.v[0]);
    if (!(steps < static_cast<double>(kMaxTensorElements)))  // NaN too
      fail("a range from {} to {} by {} has too many elements", s.v[0], l.v[0], d.v[0]);
    const auto count = static_cast<int64_t>(std::max(0.0, steps));
    r = {{count}, {}, s.integer && l.integer && d.integer};
    r.v.reserve(folded_count(r.shape));
    for (int64_t k = 0; k < count; ++k) r.v.push_back(s.v[0] + static_cast<double>(k) * d.v[0]);
  } else if (op == "Gather") {
    const Folded data = in(0), idx = in(1);
    if (data.shape.empty()) fail("cannot gather from a 0-d tensor");
    const int64_t axis = axis_in(attr_int(n, "axis", 0), data.shape.size(), "axis");
    const int64_t extent = data.shape[static_cast<size_t>(axis)];
    Shape out(data.shape.begin(), data.shape.begin() + axis);
    out.insert(out.end(), idx.shape.begin(), idx.shape.end());
    out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= data.shape[static_cast<size_t>(d)];
    for (size_t d = static_cast<size_t>(axis) + 1; d < data.shape.size(); ++d) inner *= data.shape[d];
    r = {out, {}, data.integer};
    for (int64_t o = 0; o < outer; ++o)
      for (double iv : idx.v) {
        auto i = static_cast<int64_t>(iv);
        if (i < -extent || i >= extent) fail("index {} is out of range for dimension {} of size {}", i, axis, extent);
        if (i < 0) i += extent;
        for (int64_t k = 0; k < inner; ++k) r.v.push_back(data.v[static_cast<size_t>((o * extent + i) * inner + k)]);
      }
  } else if (op == "Slice") {
    const Folded data = in(0);
    const ops::SliceAttrs sl = slice_attrs(n, data.shape);
    r = {sl.extent, {}, data.integer};
    const Shape st = strides_of(data.shape);
    Shape idx(data.shape.size(), 0);
    for (int64_t k = 0, n_out = shape_size(sl.extent); k < n_out; ++k) {
      int64_t src = 0;
      for (size_t d = 0; d < idx.size(); ++d) src += (sl.begin[d] + idx[d] * sl.step[d]) * st[d];
      r.v.push_back(data.v[static_cast<size_t>(src)]);
      for (size_t d = idx.size(); d-- > 0;) {
        if (++idx[d] < sl.extent[d]) break;
        idx[d] = 0;
      }
    }
  } else if (op == "Concat") {
    std::vector<Folded> parts;
    for (int k = 0; k < n.input_size(); ++k) parts.push_back(in(k));
    const int64_t axis = axis_in(attr_int(n, "axis", 0), parts[0].shape.size(), "axis");
    Shape out = parts[0].shape;
    out[static_cast<size_t>(axis)] = 0;
    bool integer = true;
    for (const Folded& p : parts) {
      if (p.shape.size() != out.size()) fail("inputs of different ranks");
      out[static_cast<size_t>(axis)] += p.shape[static_cast<size_t>(axis)];
      integer = integer && p.integer;
    }
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= out[static_cast<size_t>(d)];
    r = {out, {}, integer};
    for (int64_t o = 0; o < outer; ++o)
      for (const Folded& p : parts) {
        const int64_t block = shape_size(p.shape) / std::max<int64_t>(outer, 1);
        for (int64_t k = 0; k < block; ++k) r.v.push_back(p.v[static_cast<size_t>(o * block + k)]);
      }
  } else {
    return false;
  }
  set_output(n, Value::of_const(refold(r, n.output(0))));
  return true;
}

}  // namespace bcd::frontends::onnx_detail

#endif  // BCD_HAVE_ONNX
