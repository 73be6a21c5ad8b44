#include "search/gpu_tile_budget.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "ir/expr_functor.h"
#include "ir/simplify.h"
#include "support/error.h"

namespace bcd::search {

namespace {

constexpr size_t kSpatialLengths = 4;  // vthread, thread, inner, inner (the block part is free)

// The integer value of `index` with the axes at `at`, or nullopt when it does not
// fold to a constant (a load inside an index, say).
std::optional<int64_t> value_at(const ir::Expr& index, const std::vector<ir::IterVar>& axes,
                                const std::vector<int64_t>& at) {
  ir::VarMap map;
  for (size_t a = 0; a < axes.size(); ++a) map[axes[a].var.get()] = ir::int_imm(at[a]);
  ir::Expr v = ir::simplify(ir::substitute(index, map));
  if (v->kind != ir::ExprKind::IntImm) return std::nullopt;
  return v->int_value;
}

}  // namespace

GpuTileBudget::GpuTileBudget(const HardwareParams& hw, const ir::OpNode& op)
    : hw_(hw), num_spatial_(static_cast<int>(op.axes.size())) {
  std::vector<ir::IterVar> axes = op.axes;
  axes.insert(axes.end(), op.reduce_axes.begin(), op.reduce_axes.end());
  tile_.assign(axes.size(), 1);
  if (!op.body) return;
  // Each dimension's coefficients, read off by moving one axis at a time; an
  // index whose second step differs from its first is not affine.
  ir::visit(op.body, [&](const ir::Expr& e) {
    if (e->kind != ir::ExprKind::Load) return true;
    InputAccess access{e->tensor.get(), {}};
    for (const ir::Expr& index : e->operands) {
      AffineIndex d{std::vector<int64_t>(axes.size(), 0), true};
      std::vector<int64_t> at(axes.size(), 0);
      const std::optional<int64_t> origin = value_at(index, axes, at);
      for (size_t a = 0; a < axes.size() && d.affine && origin; ++a) {
        at[a] = 1;
        const std::optional<int64_t> one = value_at(index, axes, at);
        at[a] = 2;
        const std::optional<int64_t> two = value_at(index, axes, at);
        at[a] = 0;
        if (!one || !two || *two - *one != *one - *origin) d.affine = false;
        else d.coef[a] = *one - *origin;
      }
      d.affine = d.affine && origin.has_value();
      access.dims.push_back(std::move(d));
    }
    inputs_.push_back(std::move(access));
    return false;  // loads inside indices are not tiles of their own
  });
}

int64_t GpuTileBudget::shared_bytes(const std::vector<int64_t>& tile) const {
  // Loads of one tensor share its tile: per dimension, the widest footprint.
  std::vector<std::pair<const ir::OpNode*, std::vector<int64_t>>> extents;
  for (const InputAccess& access : inputs_) {
    auto it = std::find_if(extents.begin(), extents.end(), [&](const auto& x) { return x.first == access.tensor; });
    if (it == extents.end()) {
      extents.emplace_back(access.tensor, std::vector<int64_t>(access.dims.size(), 1));
      it = std::prev(extents.end());
    }
    for (size_t d = 0; d < access.dims.size(); ++d) {
      if (!access.dims[d].affine) continue;
      int64_t extent = 1;
      for (size_t a = 0; a < tile.size(); ++a) extent += std::abs(access.dims[d].coef[a]) * (tile[a] - 1);
      it->second[d] = std::max(it->second[d], extent);
    }
  }
  int64_t words = 0;
  for (const auto& [tensor, dims] : extents) {
    int64_t n = 1;
    for (int64_t e : dims) n *= e;
    words += n;
  }
  return words * static_cast<int64_t>(sizeof(float));
}

bool GpuTileBudget::admits(int axis, const std::vector<int64_t>& lengths) const {
  int64_t product = 1;
  for (int64_t l : lengths) product *= l;
  std::vector<int64_t> tile = tile_;
  tile.at(axis) = product;
  if (axis < num_spatial_) {
    BCD_CHECK(lengths.size() == kSpatialLengths, "a GPU tiling split has {} lengths, not {}", kSpatialLengths,
              lengths.size());
    const int64_t threads = threads_ * lengths[1], vthreads = vthreads_ * lengths[0];
    const int64_t words = words_ * lengths[0] * lengths[2] * lengths[3];
    if (threads > hw_.max_threads_per_block || vthreads > hw_.max_vthread_extent ||
        words * threads > hw_.max_local_memory_per_block)
      return false;
  }
  return shared_bytes(tile) <= hw_.max_shared_memory_per_block;
}

void GpuTileBudget::take(int axis, const std::vector<int64_t>& lengths) {
  int64_t product = 1;
  for (int64_t l : lengths) product *= l;
  tile_.at(axis) = product;
  if (axis < num_spatial_) {
    threads_ *= lengths[1];
    vthreads_ *= lengths[0];
    words_ *= lengths[0] * lengths[2] * lengths[3];
  }
}

}  // namespace bcd::search
