#include "schedule/transform_step.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "ir/expr_functor.h"
#include "schedule/iter_relations.h"
#include "support/error.h"

namespace bcd::schedule {

namespace {

const Stage& checked_compute_stage(const State& s, int stage_id, const char* step) {
  const Stage& st = s.stage(stage_id);
  if (st.kind != StageKind::Compute)
    fail("{}: stage {} ({}) is a placeholder", step, stage_id, st.op->name);
  return st;
}

void check_iter(const Stage& st, int iter_id, const char* step) {
  if (iter_id < 0 || iter_id >= static_cast<int>(st.iters.size()))
    fail("{}: stage {} has no iterator {} (it has {})", step, st.op->name, iter_id, st.iters.size());
}

void check_not_inlined(const Stage& st, const char* step) {
  if (st.compute_at == ComputeAtKind::Inlined) fail("{}: stage {} is inlined", step, st.op->name);
}

// Stages attached at `from` nodes move to `to` (a split moves them to its innermost
// part, a fuse to the fused iterator), so an attachment follows its loop.
void move_attachments(State& s, int stage_id, const std::vector<int>& from, int to) {
  for (int i = 0; i < s.num_stages(); ++i) {
    Stage& st = s.mutable_stage(i);
    if (st.compute_at == ComputeAtKind::Iter && st.attach_stage == stage_id &&
        std::find(from.begin(), from.end(), st.attach_node) != from.end())
      st.attach_node = to;
  }
}

int add_node(Stage& st, const std::string& name, int64_t extent, IterKind kind) {
  st.node_names.push_back(name);
  st.node_extents.push_back(extent);
  st.node_kinds.push_back(kind);
  return static_cast<int>(st.node_extents.size()) - 1;
}

// `exact`: the lengths must divide the extent. A follow_fused_split need not:
// it splits a cooperative fetch by the thread count of the block, and lowering
// guards the last, partial iteration (the extent that matters there is the
// fetched region, known only after bound inference).
void do_split(State& s, int stage_id, int iter_id, int64_t recorded_extent,
              const std::vector<int64_t>& lengths, bool inner_to_outer, const char* step, bool exact = true) {
  const Stage& st = checked_compute_stage(s, stage_id, step);
  check_not_inlined(st, step);
  check_iter(st, iter_id, step);
  const Iterator& it = st.iters[iter_id];
  if (lengths.empty()) fail("{}: no split lengths for {}", step, it.name);
  if (it.annotation != IterAnnotation::None)
    fail("{}: iterator {} is already annotated {}", step, it.name, annotation_name(it.annotation));
  if (recorded_extent > 0 && it.extent != kUnknownExtent && recorded_extent != it.extent)
    fail("{}: the step splits extent {} but iterator {} has extent {}", step, recorded_extent, it.name,
         it.extent);
  int64_t product = 1;
  bool known = it.extent != kUnknownExtent;
  for (int64_t l : lengths) {
    if (l < 0) fail("{}: negative split length {}", step, l);
    if (l == 0) known = false;
    product *= std::max<int64_t>(l, 1);
  }
  if (known && exact && it.extent % product != 0)
    fail("{}: split lengths [{}] (product {}) do not divide the extent {} of {} exactly", step,
         fmt::join(lengths, ", "), product, it.extent, it.name);

  Stage& m = s.mutable_stage(stage_id);
  Iterator parent = m.iters[iter_id];
  IterRelation rel{IterRelation::Split, {parent.node}, {}, inner_to_outer ? 0 : static_cast<int>(lengths.size())};
  std::vector<Iterator> parts;
  size_t n = lengths.size() + 1;
  for (size_t p = 0; p < n; ++p) {
    int64_t extent;
    if (static_cast<int>(p) == rel.free_output)
      extent = known ? (parent.extent + product - 1) / product : kUnknownExtent;
    else
      extent = lengths[inner_to_outer ? p - 1 : p] > 0 ? lengths[inner_to_outer ? p - 1 : p] : kUnknownExtent;
    std::string name = fmt::format("{}.{}", parent.name, p);
    int node = add_node(m, name, extent, parent.kind);
    rel.outputs.push_back(node);
    parts.push_back(Iterator{name, extent, parent.kind, IterAnnotation::None, node});
  }
  m.relations.push_back(rel);
  m.iters.erase(m.iters.begin() + iter_id);
  m.iters.insert(m.iters.begin() + iter_id, parts.begin(), parts.end());
  move_attachments(s, stage_id, {parent.node}, rel.outputs.back());
}

const Step& split_source(const State& s, int src_step_id, const char* step) {
  if (src_step_id < 0 || src_step_id >= static_cast<int>(s.history().size()))
    fail("{}: step {} does not exist (history has {})", step, src_step_id, s.history().size());
  const Step& src = s.history()[src_step_id];
  if (src.kind != StepKind::Split) fail("{}: step {} is not a split", step, src_step_id);
  return src;
}

void do_fuse(State& s, const Step& step) {
  const Stage& st = checked_compute_stage(s, step.stage_id, "fuse");
  check_not_inlined(st, "fuse");
  if (step.iter_ids.empty()) fail("fuse: no iterators given");
  for (size_t i = 0; i < step.iter_ids.size(); ++i) {
    check_iter(st, step.iter_ids[i], "fuse");
    if (i && step.iter_ids[i] != step.iter_ids[i - 1] + 1)
      fail("fuse: iterators {} of {} are not consecutive", fmt::join(step.iter_ids, ","), st.op->name);
  }
  IterKind kind = st.iters[step.iter_ids[0]].kind;
  int64_t extent = 1;
  std::string name;
  std::vector<int> nodes;
  for (int id : step.iter_ids) {
    const Iterator& it = st.iters[id];
    if (it.kind != kind) fail("fuse: cannot fuse spatial and reduction iterators ({})", it.name);
    if (it.annotation != IterAnnotation::None) fail("fuse: iterator {} is annotated", it.name);
    extent = (extent == kUnknownExtent || it.extent == kUnknownExtent) ? kUnknownExtent : extent * it.extent;
    name += it.name + "@";
    nodes.push_back(it.node);
  }
  if (step.iter_ids.size() == 1) return;  // fusing one iterator changes nothing
  Stage& m = s.mutable_stage(step.stage_id);
  int node = add_node(m, name, extent, kind);
  m.relations.push_back(IterRelation{IterRelation::Fuse, nodes, {node}, 0});
  int first = step.iter_ids.front();
  m.iters.erase(m.iters.begin() + first, m.iters.begin() + step.iter_ids.back() + 1);
  m.iters.insert(m.iters.begin() + first, Iterator{name, extent, kind, IterAnnotation::None, node});
  move_attachments(s, step.stage_id, nodes, node);
}

void do_reorder(State& s, const Step& step) {
  const Stage& st = checked_compute_stage(s, step.stage_id, "reorder");
  check_not_inlined(st, "reorder");
  std::vector<int> sorted = step.iter_ids;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> expected(st.iters.size());
  std::iota(expected.begin(), expected.end(), 0);
  if (sorted != expected)
    fail("reorder: [{}] is not a permutation of the {} iterators of {}", fmt::join(step.iter_ids, ","),
         st.iters.size(), st.op->name);
  Stage& m = s.mutable_stage(step.stage_id);
  std::vector<Iterator> order;
  for (int id : step.iter_ids) order.push_back(m.iters[id]);
  m.iters = std::move(order);
}

void do_annotation(State& s, const Step& step) {
  const Stage& st = checked_compute_stage(s, step.stage_id, "annotation");
  check_not_inlined(st, "annotation");
  check_iter(st, step.iter_id, "annotation");
  const Iterator& it = st.iters[step.iter_id];
  if (it.annotation != IterAnnotation::None && it.annotation != step.annotation)
    fail("annotation: iterator {} is already annotated {}", it.name, annotation_name(it.annotation));
  // threadIdx.x on a reduction is a cross-thread reduction: the threads of a
  // block combine their partial results (the GPU generator emits the combine).
  if (it.kind != IterKind::Spatial && step.annotation != IterAnnotation::ThreadIdxX &&
      (step.annotation == IterAnnotation::Parallel || step.annotation >= IterAnnotation::VThread))
    fail("annotation: cannot {} the reduction iterator {} (iterations would race)",
         annotation_name(step.annotation), it.name);
  s.mutable_stage(step.stage_id).iters[step.iter_id].annotation = step.annotation;
}

void do_pragma(State& s, const Step& step) {
  const Stage& st = checked_compute_stage(s, step.stage_id, "pragma");
  check_iter(st, step.iter_id, "pragma");
  const std::string prefix = "auto_unroll_max_step$";
  if (step.pragma.rfind(prefix, 0) != 0) fail("pragma: unsupported pragma '{}'", step.pragma);
  int64_t n;
  try {
    size_t used = 0;
    n = std::stoll(step.pragma.substr(prefix.size()), &used);
    if (used != step.pragma.size() - prefix.size() || n < 0) throw std::invalid_argument("");
  } catch (const std::exception&) {
    fail("pragma: '{}' needs a non-negative integer after '$'", step.pragma);
  }
  s.mutable_stage(step.stage_id).auto_unroll_max_step = n;
}

void do_compute_at(State& s, const Step& step) {
  const Stage& st = checked_compute_stage(s, step.stage_id, "compute_at");
  const Stage& target = checked_compute_stage(s, step.target_stage_id, "compute_at");
  check_not_inlined(target, "compute_at");
  check_iter(target, step.target_iter_id, "compute_at");
  if (st.output_index >= 0) fail("compute_at: {} is an output and must stay at the root", st.op->name);
  std::vector<int> consumers = s.effective_consumers(step.stage_id);
  if (consumers != std::vector<int>{step.target_stage_id})
    fail("compute_at: {} can only be computed at its single consumer, not at {}", st.op->name,
         target.op->name);
  Stage& m = s.mutable_stage(step.stage_id);
  m.compute_at = ComputeAtKind::Iter;
  m.attach_stage = step.target_stage_id;
  m.attach_node = s.stage(step.target_stage_id).iters[step.target_iter_id].node;
}

void do_compute_inline(State& s, const Step& step) {
  const Stage& st = checked_compute_stage(s, step.stage_id, "compute_inline");
  if (st.op->has_reduce()) fail("compute_inline: {} is a reduction", st.op->name);
  if (st.output_index >= 0) fail("compute_inline: {} is an output", st.op->name);
  if (s.consumers(step.stage_id).empty()) fail("compute_inline: {} has no consumer", st.op->name);
  if (!s.attached_stages(step.stage_id).empty())
    fail("compute_inline: other stages are computed at {}", st.op->name);
  s.mutable_stage(step.stage_id).compute_at = ComputeAtKind::Inlined;
}

void do_compute_root(State& s, const Step& step) {
  checked_compute_stage(s, step.stage_id, "compute_root");
  Stage& m = s.mutable_stage(step.stage_id);
  m.compute_at = ComputeAtKind::Root;
  m.attach_stage = m.attach_node = -1;
}

// A copy of an op's axes with fresh variables, and the substitution to them.
std::vector<ir::IterVar> fresh_axes(const std::vector<ir::IterVar>& axes, ir::VarMap& map) {
  std::vector<ir::IterVar> out;
  for (const auto& a : axes) {
    out.push_back(ir::IterVar{ir::var(a.var->name), a.extent, a.kind});
    map[a.var.get()] = out.back().var;
  }
  return out;
}

ir::OpRef copy_op(const ir::OpRef& src, const std::string& name, const ir::OpRef& read_from) {
  auto op = std::make_shared<ir::OpNode>();
  op->kind = ir::OpKind::Compute;
  op->name = name;
  op->tag = src->tag;
  op->shape = src->shape;
  std::vector<ir::Expr> idx;
  for (size_t d = 0; d < src->shape.size(); ++d) {
    op->axes.push_back(ir::spatial_axis(src->shape[d], fmt::format("{}_ax{}", name, d)));
    idx.push_back(op->axes.back().var);
  }
  op->body = ir::load(read_from, idx);
  return op;
}

void check_fresh_stage(const State& s, int stage_id, const char* step) {
  const Stage& st = s.stage(stage_id);
  check_not_inlined(st, step);
  if (!st.relations.empty()) fail("{}: {} has already been split or fused", step, st.op->name);
  if (!s.attached_stages(stage_id).empty()) fail("{}: other stages are computed at {}", step, st.op->name);
}

void check_scope(const std::string& scope, const char* step) {
  if (scope != "local" && scope != "shared" && scope != "global")
    fail("{}: unknown scope '{}' (local, shared or global)", step, scope);
}

void do_cache_write(State& s, const Step& step) {
  const Stage& st = checked_compute_stage(s, step.stage_id, "cache_write");
  check_fresh_stage(s, step.stage_id, "cache_write");
  check_scope(step.scope, "cache_write");
  ir::OpRef old = st.op;
  // The cache stage computes what the stage computed; the stage becomes a copy.
  auto cache = std::make_shared<ir::OpNode>(*old);
  cache->name = old->name + "." + step.scope;
  ir::VarMap map;
  cache->axes = fresh_axes(old->axes, map);
  cache->reduce_axes = fresh_axes(old->reduce_axes, map);
  cache->body = ir::substitute(old->body, map);
  if (cache->body->kind == ir::ExprKind::Reduce)
    cache->body = ir::reduce(cache->body->reduce_op, cache->body->operands[0], cache->reduce_axes);
  ir::OpRef copy = copy_op(old, old->name, cache);

  Stage original = s.stage(step.stage_id);
  Stage cache_stage = make_stage(cache);
  cache_stage.scope = step.scope;
  Stage copy_stage = make_stage(copy);
  copy_stage.output_index = original.output_index;
  copy_stage.compute_at = original.compute_at;
  copy_stage.attach_stage = original.attach_stage;
  copy_stage.attach_node = original.attach_node;
  s.mutable_stage(step.stage_id) = copy_stage;
  s.insert_stage(step.stage_id, cache_stage);
  s.redirect_loads({{old.get(), copy}}, step.stage_id + 2);
}

void do_cache_read(State& s, const Step& step) {
  const Stage& st = s.stage(step.stage_id);
  check_not_inlined(st, "cache_read");
  if (st.compute_at == ComputeAtKind::Iter)
    fail("cache_read: {} is computed at another stage, which would no longer read it", st.op->name);
  check_scope(step.scope, "cache_read");
  std::vector<int> consumers = s.consumers(step.stage_id);
  if (step.reader_stage_ids.empty()) fail("cache_read: no reader stages given");
  for (int r : step.reader_stage_ids)
    if (std::find(consumers.begin(), consumers.end(), r) == consumers.end())
      fail("cache_read: stage {} does not read {}", r, st.op->name);
  ir::OpRef cache = copy_op(st.op, st.op->name + "." + step.scope, st.op);
  Stage cache_stage = make_stage(cache);
  cache_stage.scope = step.scope;
  ir::OpRef source = st.op;  // `st` dangles once a stage is inserted
  int at = step.stage_id + 1;
  s.insert_stage(at, cache_stage);
  // Only the readers switch to the cache; stages after them follow their change.
  std::vector<int> readers;
  for (int r : step.reader_stage_ids) readers.push_back(r >= at ? r + 1 : r);
  s.redirect_loads({}, at + 1, [&](int stage, const ir::OpRef& t) {
    return t == source && std::find(readers.begin(), readers.end(), stage) != readers.end() ? cache : t;
  });
}

void do_rfactor(State& s, const Step& step) {
  const Stage& st = checked_compute_stage(s, step.stage_id, "rfactor");
  check_not_inlined(st, "rfactor");
  check_iter(st, step.iter_id, "rfactor");
  if (!st.op->has_reduce()) fail("rfactor: {} is not a reduction", st.op->name);
  if (st.iters[step.iter_id].kind != IterKind::Reduce)
    fail("rfactor: iterator {} is not a reduction iterator", st.iters[step.iter_id].name);
  if (!s.attached_stages(step.stage_id).empty()) fail("rfactor: other stages are computed at {}", st.op->name);
  if (step.factor_iter_id < 0 || step.factor_iter_id > st.num_spatial_axes())
    fail("rfactor: factor axis position {} out of range [0, {}]", step.factor_iter_id, st.num_spatial_axes());
  // A sketch factors a reduction before its split lengths are known: the new ops
  // then get placeholder extents of 1 and the iterators stay unknown, and the
  // State is rebuilt by replay once the lengths are filled in.
  auto known = [](int64_t e) { return e == kUnknownExtent ? int64_t{1} : e; };

  // The factored leaf becomes a spatial axis of the new stage; the other reduction
  // leaves stay reductions there. Root reduction axes are rewritten in leaf terms.
  const ir::OpRef old = st.op;
  std::vector<ir::Expr> leaf_vars;
  for (const auto& it : st.iters) leaf_vars.push_back(ir::var(it.name));
  std::vector<int64_t> node_extents = st.node_extents;
  for (auto& e : node_extents) e = known(e);
  std::vector<ir::Expr> roots = root_axis_values(st, leaf_vars, node_extents);
  auto rf = std::make_shared<ir::OpNode>();
  rf->kind = ir::OpKind::Compute;
  rf->name = old->name + ".rf";
  rf->tag = old->tag;
  ir::VarMap map;
  std::vector<ir::IterVar> spatial = fresh_axes(old->axes, map);
  const int64_t factor_extent = st.iters[step.iter_id].extent;
  ir::IterVar factor_axis{leaf_vars[step.iter_id], known(factor_extent), ir::IterKind::Spatial};
  spatial.insert(spatial.begin() + step.factor_iter_id, factor_axis);
  std::vector<ir::IterVar> reduce;
  for (size_t i = 0; i < st.iters.size(); ++i)
    if (st.iters[i].kind == IterKind::Reduce && static_cast<int>(i) != step.iter_id)
      reduce.push_back(ir::IterVar{leaf_vars[i], known(st.iters[i].extent), ir::IterKind::Reduce});
  for (size_t r = 0; r < old->reduce_axes.size(); ++r)
    map[old->reduce_axes[r].var.get()] = roots[old->axes.size() + r];
  rf->axes = spatial;
  rf->reduce_axes = reduce;
  for (const auto& a : rf->axes) rf->shape.push_back(a.extent);
  ir::Expr source = ir::substitute(old->body->operands[0], map);
  rf->body = reduce.empty() ? source : ir::reduce(old->body->reduce_op, source, reduce);

  // The stage now reduces the new axis of the rf stage.
  auto fin = std::make_shared<ir::OpNode>(*old);
  ir::VarMap fmap;
  fin->axes = fresh_axes(old->axes, fmap);
  ir::IterVar k = ir::reduce_axis(known(factor_extent), st.iters[step.iter_id].name + ".v");
  std::vector<ir::Expr> idx;
  for (const auto& a : fin->axes) idx.push_back(a.var);
  idx.insert(idx.begin() + step.factor_iter_id, k.var);
  fin->reduce_axes = {k};
  fin->body = ir::reduce(old->body->reduce_op, ir::load(rf, idx), {k});

  std::vector<int64_t> unknown_rf_axes;  // rf iterators whose extent is not known yet
  if (factor_extent == kUnknownExtent) unknown_rf_axes.push_back(step.factor_iter_id);
  int rf_pos = static_cast<int>(spatial.size());
  for (size_t i = 0; i < st.iters.size(); ++i)
    if (st.iters[i].kind == IterKind::Reduce && static_cast<int>(i) != step.iter_id) {
      if (st.iters[i].extent == kUnknownExtent) unknown_rf_axes.push_back(rf_pos);
      ++rf_pos;
    }

  Stage original = s.stage(step.stage_id);
  Stage fin_stage = make_stage(fin);
  fin_stage.output_index = original.output_index;
  fin_stage.compute_at = original.compute_at;
  fin_stage.attach_stage = original.attach_stage;
  fin_stage.attach_node = original.attach_node;
  Stage rf_stage = make_stage(rf);
  for (int64_t a : unknown_rf_axes) {
    rf_stage.iters[a].extent = kUnknownExtent;
    rf_stage.node_extents[a] = kUnknownExtent;
  }
  if (factor_extent == kUnknownExtent) {
    fin_stage.iters.back().extent = kUnknownExtent;
    fin_stage.node_extents.back() = kUnknownExtent;
  }
  s.mutable_stage(step.stage_id) = fin_stage;
  s.insert_stage(step.stage_id, rf_stage);
  s.redirect_loads({{old.get(), fin}}, step.stage_id + 2);
}

void do_storage_align(State& s, const Step& step) {
  const Stage& st = checked_compute_stage(s, step.stage_id, "storage_align");
  if (step.iter_id < 0 || step.iter_id >= static_cast<int>(st.op->shape.size()))
    fail("storage_align: {} has no axis {}", st.op->name, step.iter_id);
  if (step.align_factor <= 0 || step.align_offset < 0 || step.align_offset >= step.align_factor)
    fail("storage_align: needs factor > 0 and 0 <= offset < factor (got {}, {})", step.align_factor,
         step.align_offset);
  Stage& m = s.mutable_stage(step.stage_id);
  m.storage_align_axis = step.iter_id;
  m.storage_align_factor = step.align_factor;
  m.storage_align_offset = step.align_offset;
}

}  // namespace

const char* step_kind_name(StepKind kind) {
  static const char* names[] = {"SP", "FSP", "FFSP", "FU", "RE",  "AN", "PR",
                                "CA", "CI",  "CR",   "CHR", "CHW", "RF", "SA"};
  return names[static_cast<int>(kind)];
}

void apply_step(State& s, const Step& step) {
  switch (step.kind) {
    case StepKind::Split:
      do_split(s, step.stage_id, step.iter_id, step.extent, step.lengths, step.inner_to_outer, "split");
      return;
    case StepKind::FollowSplit: {
      const Step& src = split_source(s, step.src_step_id, "follow_split");
      if (step.n_split < 1 || step.n_split > static_cast<int>(src.lengths.size()))
        fail("follow_split: n_split {} out of range [1, {}]", step.n_split, src.lengths.size());
      // The first n_split - 1 lengths, then the product of the rest as one part.
      std::vector<int64_t> lengths(src.lengths.begin(), src.lengths.begin() + step.n_split - 1);
      int64_t last = 1;
      for (size_t j = step.n_split - 1; j < src.lengths.size(); ++j)
        last = (src.lengths[j] == 0 || last == 0) ? 0 : last * src.lengths[j];
      lengths.push_back(last);
      do_split(s, step.stage_id, step.iter_id, 0, lengths, true, "follow_split");
      return;
    }
    case StepKind::FollowFusedSplit: {
      int64_t length = 1;
      if (step.src_step_ids.empty()) fail("follow_fused_split: no source steps");
      for (int id : step.src_step_ids) {
        const Step& src = split_source(s, id, "follow_fused_split");
        if (step.level < 0 || step.level >= static_cast<int>(src.lengths.size()))
          fail("follow_fused_split: level {} out of range for step {}", step.level, id);
        int64_t l = src.lengths[step.level];
        length = (l == 0 || length == 0) ? 0 : length * l;
      }
      do_split(s, step.stage_id, step.iter_id, 0, {length}, step.factor_or_nparts, "follow_fused_split", false);
      return;
    }
    case StepKind::Fuse: do_fuse(s, step); return;
    case StepKind::Reorder: do_reorder(s, step); return;
    case StepKind::Annotation: do_annotation(s, step); return;
    case StepKind::Pragma: do_pragma(s, step); return;
    case StepKind::ComputeAt: do_compute_at(s, step); return;
    case StepKind::ComputeInline: do_compute_inline(s, step); return;
    case StepKind::ComputeRoot: do_compute_root(s, step); return;
    case StepKind::CacheRead: do_cache_read(s, step); return;
    case StepKind::CacheWrite: do_cache_write(s, step); return;
    case StepKind::Rfactor: do_rfactor(s, step); return;
    case StepKind::StorageAlign: do_storage_align(s, step); return;
  }
}

State replay(const ir::ComputeDAG& dag, const std::vector<Step>& steps) {
  State s(dag);
  for (size_t i = 0; i < steps.size(); ++i) {
    try {
      s.apply(steps[i]);
    } catch (const Error& e) {
      fail("replaying step {} ({}): {}", i, step_kind_name(steps[i].kind), e.what());
    }
  }
  return s;
}

// --- constructors --------------------------------------------------------------

static Step make(StepKind kind, int stage, int iter = 0) {
  Step s;
  s.kind = kind;
  s.stage_id = stage;
  s.iter_id = iter;
  return s;
}

Step split_step(int stage, int iter, int64_t extent, std::vector<int64_t> lengths, bool inner_to_outer) {
  Step s = make(StepKind::Split, stage, iter);
  s.extent = extent;
  s.lengths = std::move(lengths);
  s.inner_to_outer = inner_to_outer;
  return s;
}
Step follow_split_step(int stage, int iter, int src_step, int n_split) {
  Step s = make(StepKind::FollowSplit, stage, iter);
  s.src_step_id = src_step;
  s.n_split = n_split;
  return s;
}
Step follow_fused_split_step(int stage, int iter, std::vector<int> src_steps, int level, bool factor_or_nparts) {
  Step s = make(StepKind::FollowFusedSplit, stage, iter);
  s.src_step_ids = std::move(src_steps);
  s.level = level;
  s.factor_or_nparts = factor_or_nparts;
  return s;
}
Step fuse_step(int stage, std::vector<int> iters) {
  Step s = make(StepKind::Fuse, stage);
  s.iter_ids = std::move(iters);
  return s;
}
Step reorder_step(int stage, std::vector<int> order) {
  Step s = make(StepKind::Reorder, stage);
  s.iter_ids = std::move(order);
  return s;
}
Step annotation_step(int stage, int iter, IterAnnotation annotation) {
  Step s = make(StepKind::Annotation, stage, iter);
  s.annotation = annotation;
  return s;
}
Step pragma_step(int stage, int iter, const std::string& pragma) {
  Step s = make(StepKind::Pragma, stage, iter);
  s.pragma = pragma;
  return s;
}
Step compute_at_step(int stage, int target_stage, int target_iter) {
  Step s = make(StepKind::ComputeAt, stage);
  s.target_stage_id = target_stage;
  s.target_iter_id = target_iter;
  return s;
}
Step compute_inline_step(int stage) { return make(StepKind::ComputeInline, stage); }
Step compute_root_step(int stage) { return make(StepKind::ComputeRoot, stage); }
Step cache_read_step(int stage, const std::string& scope, std::vector<int> readers) {
  Step s = make(StepKind::CacheRead, stage);
  s.scope = scope;
  s.reader_stage_ids = std::move(readers);
  return s;
}
Step cache_write_step(int stage, const std::string& scope) {
  Step s = make(StepKind::CacheWrite, stage);
  s.scope = scope;
  return s;
}
Step rfactor_step(int stage, int iter, int factor_iter) {
  Step s = make(StepKind::Rfactor, stage, iter);
  s.factor_iter_id = factor_iter;
  return s;
}
Step storage_align_step(int stage, int iter, int64_t factor, int64_t offset) {
  Step s = make(StepKind::StorageAlign, stage, iter);
  s.align_factor = factor;
  s.align_offset = offset;
  return s;
}

}  // namespace bcd::schedule
