// Layout operators: pad, concat, reshape, flatten, transpose. None computes anything;
// each is pure index arithmetic over its input(s).
#include "ops/compute_util.h"
#include "ops/nn.h"
#include "ops/shape_util.h"
#include "support/error.h"

namespace bcd::ops {

using ir::Expr;
using ir::Tensor;
using detail::minus;

namespace {

Tensor pad_impl(const Tensor& data, const PadAttrs& attrs, const std::string& name,
                const std::string& tag, const std::string& op) {
  detail::check_defined(data, "data", op);
  const auto& shape = data->shape;
  check_shape(shape, "data", op);
  if (attrs.before.size() != shape.size() || attrs.after.size() != shape.size())
    fail("{}: padding needs {} values before and after (one per dimension), got {} and {}", op,
         shape.size(), attrs.before.size(), attrs.after.size());
  std::vector<int64_t> out_shape = shape;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (attrs.before[d] < 0 || attrs.after[d] < 0)
      fail("{}: negative padding {} / {}", op, dims_string(attrs.before), dims_string(attrs.after));
    if (attrs.mode == PadMode::Reflect && std::max(attrs.before[d], attrs.after[d]) >= shape[d])
      fail("{}: reflect padding {} / {} of dimension {} needs pads below its size {}", op, attrs.before[d],
           attrs.after[d], d, shape[d]);
    out_shape[d] += attrs.before[d] + attrs.after[d];
  }
  if (attrs.mode != PadMode::Constant) {
    // Every position reads the data: the index maps back into it (see pad_source).
    return ir::compute(
        out_shape,
        [&](const std::vector<Expr>& i) {
          std::vector<Expr> idx;
          for (size_t d = 0; d < shape.size(); ++d) {
            Expr j = minus(i[d], attrs.before[d]);
            if (attrs.before[d] == 0 && attrs.after[d] == 0) {
              idx.push_back(j);
            } else if (attrs.mode == PadMode::Edge) {
              idx.push_back(ir::max(ir::min(j, Expr(shape[d] - 1)), Expr(0)));
            } else {
              const Expr last(shape[d] - 1);
              Expr inner = last - ir::max(j, Expr(0) - j);
              idx.push_back(last - ir::max(inner, Expr(0) - inner));
            }
          }
          return data(idx);
        },
        name, tag);
  }
  double value = attrs.value;
  return ir::compute(
      out_shape,
      [&](const std::vector<Expr>& i) {
        std::vector<Expr> conds, idx;
        for (size_t d = 0; d < shape.size(); ++d) {
          if (attrs.before[d] > 0) conds.push_back(i[d] >= Expr(attrs.before[d]));
          if (attrs.after[d] > 0) conds.push_back(i[d] < Expr(attrs.before[d] + shape[d]));
          idx.push_back(minus(i[d], attrs.before[d]));
        }
        // The load is only evaluated on the in-bounds side of the select.
        if (conds.empty()) return data(idx);
        return ir::select(detail::all_of(conds), data(idx), Expr(value));
      },
      name, tag);
}

// Row-major re-indexing shared by reshape and flatten.
Tensor reshape_impl(const Tensor& data, const std::vector<int64_t>& out_shape,
                    const std::string& tag) {
  const auto in_shape = data->shape;
  return ir::compute(
      out_shape,
      [&](const std::vector<Expr>& o) {
        if (in_shape == out_shape) return data(o);
        // Flat offset of the output position, then the input position of that offset.
        Expr flat = o[0];
        for (size_t d = 1; d < o.size(); ++d) flat = flat * Expr(out_shape[d]) + o[d];
        std::vector<Expr> idx(in_shape.size());
        int64_t stride = 1;
        for (size_t k = in_shape.size(); k-- > 0;) {
          Expr e = stride == 1 ? flat : ir::floordiv(flat, Expr(stride));
          // The outermost index needs no modulo: flat < total size.
          idx[k] = k == 0 ? e : ir::floormod(e, Expr(in_shape[k]));
          stride *= in_shape[k];
        }
        return data(idx);
      },
      tag, tag);
}

}  // namespace

Tensor pad(const Tensor& data, const PadAttrs& attrs) {
  return pad_impl(data, attrs, "pad_out", "constant_pad", "pad");
}

Tensor pad_stage(const Tensor& data, const PadAttrs& attrs, const std::string& name) {
  bool any = attrs.before.size() != data->shape.size() || attrs.after.size() != data->shape.size();
  for (int64_t p : attrs.before) any = any || p != 0;
  for (int64_t p : attrs.after) any = any || p != 0;
  // No padding, no stage: the consumer reads its input directly.
  if (!any) return data;
  return pad_impl(data, attrs, name, "pad", "pad");
}

Tensor concat(const std::vector<Tensor>& inputs, int64_t axis) {
  const std::string op = "concat";
  if (inputs.empty()) fail("{}: needs at least one input", op);
  for (size_t k = 0; k < inputs.size(); ++k) {
    detail::check_defined(inputs[k], fmt::format("input {}", k), op);
    check_shape(inputs[k]->shape, fmt::format("input {}", k), op);
  }
  const auto& first = inputs[0]->shape;
  int ax = normalize_axis(axis, first.size(), op);
  std::vector<int64_t> offsets;  // start of each input along the axis
  std::vector<int64_t> out_shape = first;
  out_shape[ax] = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const auto& s = inputs[k]->shape;
    if (s.size() != first.size())
      fail("{}: input {} has rank {}, input 0 has rank {}", op, k, s.size(), first.size());
    for (size_t d = 0; d < s.size(); ++d)
      if (static_cast<int>(d) != ax && s[d] != first[d])
        fail("{}: input {} shape {} differs from input 0 shape {} outside axis {}", op, k,
             dims_string(s), dims_string(first), ax);
    offsets.push_back(out_shape[ax]);
    out_shape[ax] += s[ax];
  }
  return ir::compute(
      out_shape,
      [&](const std::vector<Expr>& i) {
        auto load_from = [&](size_t k) {
          std::vector<Expr> idx = i;
          idx[ax] = minus(i[ax], offsets[k]);
          return inputs[k](idx);
        };
        // Nested selects from the last input backwards: only the chosen load runs.
        Expr e = load_from(inputs.size() - 1);
        for (size_t k = inputs.size() - 1; k-- > 0;)
          e = ir::select(i[ax] < Expr(offsets[k + 1]), load_from(k), e);
        return e;
      },
      "concat", "concat");
}

Tensor reshape(const Tensor& data, const std::vector<int64_t>& new_shape) {
  detail::check_defined(data, "data", "reshape");
  check_shape(data->shape, "data", "reshape");
  return reshape_impl(data, resolve_reshape(data->shape, new_shape, "reshape"), "reshape");
}

Tensor flatten(const Tensor& data, int64_t axis) {
  const std::string op = "flatten";
  detail::check_defined(data, "data", op);
  const auto& s = data->shape;
  check_shape(s, "data", op);
  // ONNX allows axis == rank (everything in the first dimension).
  int64_t r = static_cast<int64_t>(s.size());
  if (axis < -r || axis > r) fail("{}: axis {} out of range for rank {}", op, axis, s.size());
  if (axis < 0) axis += r;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < r; ++d) (d < axis ? outer : inner) *= s[d];
  return reshape_impl(data, {outer, inner}, "flatten");
}

Tensor slice(const Tensor& data, const SliceAttrs& attrs) {
  const std::string op = "slice";
  detail::check_defined(data, "data", op);
  const auto& s = data->shape;
  check_shape(s, "data", op);
  const size_t rank = s.size();
  if (attrs.begin.size() != rank || attrs.step.size() != rank || attrs.extent.size() != rank)
    fail("{}: begin, step and extent need one value per dimension of {}", op, dims_string(s));
  for (size_t d = 0; d < rank; ++d) {
    if (attrs.extent[d] <= 0) fail("{}: dimension {} of the result is empty", op, d);
    const int64_t last = attrs.begin[d] + (attrs.extent[d] - 1) * attrs.step[d];
    if (attrs.begin[d] < 0 || attrs.begin[d] >= s[d] || last < 0 || last >= s[d])
      fail("{}: dimension {} reads {} to {} of {}", op, d, attrs.begin[d], last, s[d]);
  }
  return ir::compute(
      attrs.extent,
      [&](const std::vector<Expr>& o) {
        std::vector<Expr> idx;
        for (size_t d = 0; d < rank; ++d) {
          Expr i = attrs.step[d] == 1 ? o[d] : o[d] * Expr(attrs.step[d]);
          idx.push_back(attrs.begin[d] == 0 ? i : i + Expr(attrs.begin[d]));
        }
        return data(idx);
      },
      "slice", "slice");
}

Tensor transpose(const Tensor& data, const std::vector<int64_t>& axes) {
  const std::string op = "transpose";
  detail::check_defined(data, "data", op);
  const auto& s = data->shape;
  check_shape(s, "data", op);
  std::vector<int> perm = resolve_permutation(axes, s.size(), op);
  std::vector<int64_t> out_shape;
  for (int p : perm) out_shape.push_back(s[p]);
  return ir::compute(
      out_shape,
      [&](const std::vector<Expr>& o) {
        std::vector<Expr> idx(s.size());
        for (size_t i = 0; i < perm.size(); ++i) idx[perm[i]] = o[i];
        return data(idx);
      },
      "transpose", "transpose");
}

}  // namespace bcd::ops
