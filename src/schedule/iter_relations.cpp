#include "schedule/iter_relations.h"

#include "support/error.h"

namespace bcd::schedule {

std::vector<int64_t> derive_node_extents(const Stage& stage, const std::vector<int64_t>& root_extents) {
  BCD_CHECK(static_cast<int>(root_extents.size()) == stage.num_root_axes(), "{} root extents for {} axes",
            root_extents.size(), stage.num_root_axes());
  std::vector<int64_t> ext = stage.node_extents;
  for (size_t i = 0; i < root_extents.size(); ++i) ext[i] = root_extents[i];
  for (const auto& rel : stage.relations) {
    if (rel.kind == IterRelation::Split) {
      int64_t fixed = 1;
      for (size_t o = 0; o < rel.outputs.size(); ++o)
        if (static_cast<int>(o) != rel.free_output) fixed *= stage.node_extents[rel.outputs[o]];
      int64_t parent = ext[rel.inputs[0]];
      ext[rel.outputs[rel.free_output]] = (parent + fixed - 1) / fixed;
    } else {
      int64_t product = 1;
      for (int in : rel.inputs) product *= ext[in];
      ext[rel.outputs[0]] = product;
    }
  }
  return ext;
}

std::vector<ir::Expr> root_axis_values(const Stage& stage, const std::vector<ir::Expr>& leaf_values,
                                       const std::vector<int64_t>& node_extents) {
  const std::vector<int64_t>& ext = node_extents.empty() ? stage.node_extents : node_extents;
  BCD_CHECK(leaf_values.size() == stage.iters.size(), "{} leaf values for {} leaves", leaf_values.size(),
            stage.iters.size());
  std::vector<ir::Expr> value(ext.size());
  for (size_t i = 0; i < stage.iters.size(); ++i) value[stage.iters[i].node] = leaf_values[i];
  for (auto rel = stage.relations.rbegin(); rel != stage.relations.rend(); ++rel) {
    if (rel->kind == IterRelation::Split) {
      // parent = sum of part * (product of the extents of the parts inside it)
      ir::Expr parent;
      int64_t stride = 1;
      for (auto o = rel->outputs.rbegin(); o != rel->outputs.rend(); ++o) {
        BCD_CHECK(value[*o], "split part {} has no value", stage.node_names[*o]);
        ir::Expr term = stride == 1 ? value[*o] : value[*o] * ir::int_imm(stride);
        parent = parent ? term + parent : term;
        stride *= ext[*o];
      }
      value[rel->inputs[0]] = parent;
    } else {
      const ir::Expr& fused = value[rel->outputs[0]];
      BCD_CHECK(fused, "fused node {} has no value", stage.node_names[rel->outputs[0]]);
      int64_t inner = 1;
      for (size_t k = rel->inputs.size(); k-- > 0;) {
        int node = rel->inputs[k];
        ir::Expr v = inner == 1 ? fused : ir::floordiv(fused, ir::int_imm(inner));
        if (k > 0) v = ir::floormod(v, ir::int_imm(ext[node]));
        value[node] = v;
        inner *= ext[node];
      }
    }
  }
  std::vector<ir::Expr> roots(value.begin(), value.begin() + stage.num_root_axes());
  for (size_t i = 0; i < roots.size(); ++i) BCD_CHECK(roots[i], "root axis {} has no value", i);
  return roots;
}

std::vector<AxisRange> root_axis_ranges(const Stage& stage, const std::vector<AxisRange>& leaf_ranges,
                                        const std::vector<int64_t>& node_extents) {
  const std::vector<int64_t>& ext = node_extents.empty() ? stage.node_extents : node_extents;
  BCD_CHECK(leaf_ranges.size() == stage.iters.size(), "{} leaf ranges for {} leaves", leaf_ranges.size(),
            stage.iters.size());
  std::vector<AxisRange> range(ext.size());
  for (size_t i = 0; i < stage.iters.size(); ++i) range[stage.iters[i].node] = leaf_ranges[i];
  for (auto rel = stage.relations.rbegin(); rel != stage.relations.rend(); ++rel) {
    if (rel->kind == IterRelation::Split) {
      ir::Expr base;
      int64_t extent = 1, stride = 1;
      for (auto o = rel->outputs.rbegin(); o != rel->outputs.rend(); ++o) {
        const AxisRange& r = range[*o];
        BCD_CHECK(r.base, "split part {} has no range", stage.node_names[*o]);
        ir::Expr term = stride == 1 ? r.base : r.base * ir::int_imm(stride);
        base = base ? term + base : term;
        extent += (r.extent - 1) * stride;
        stride *= ext[*o];
      }
      range[rel->inputs[0]] = AxisRange{base, extent};
    } else {
      const AxisRange& fused = range[rel->outputs[0]];
      BCD_CHECK(fused.base, "fused node {} has no range", stage.node_names[rel->outputs[0]]);
      int64_t inner = 1;
      for (size_t k = rel->inputs.size(); k-- > 0;) {
        int node = rel->inputs[k];
        if (fused.extent == 1) {
          ir::Expr v = inner == 1 ? fused.base : ir::floordiv(fused.base, ir::int_imm(inner));
          if (k > 0) v = ir::floormod(v, ir::int_imm(ext[node]));
          range[node] = AxisRange{v, 1};
        } else {
          range[node] = AxisRange{ir::int_imm(0), ext[node]};
        }
        inner *= ext[node];
      }
    }
  }
  return std::vector<AxisRange>(range.begin(), range.begin() + stage.num_root_axes());
}

}  // namespace bcd::schedule
