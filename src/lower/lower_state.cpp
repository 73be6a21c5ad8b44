#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "ir/expr_functor.h"
#include "ir/simplify.h"
#include "lower/lower.h"
#include "schedule/iter_relations.h"
#include "support/error.h"

namespace bcd::lower {

using schedule::AxisRange;
using schedule::ComputeAtKind;
using schedule::IterAnnotation;
using schedule::Stage;
using schedule::State;

namespace {

ForKind for_kind_of(IterAnnotation a) {
  switch (a) {
    case IterAnnotation::None: return ForKind::Serial;
    case IterAnnotation::Unroll: return ForKind::Unrolled;
    case IterAnnotation::Vectorize: return ForKind::Vectorized;
    case IterAnnotation::Parallel: return ForKind::Parallel;
    case IterAnnotation::VThread: return ForKind::Vthread;
    case IterAnnotation::BlockIdxX: return ForKind::BlockIdxX;
    case IterAnnotation::BlockIdxY: return ForKind::BlockIdxY;
    case IterAnnotation::BlockIdxZ: return ForKind::BlockIdxZ;
    case IterAnnotation::ThreadIdxX: return ForKind::ThreadIdxX;
    case IterAnnotation::ThreadIdxY: return ForKind::ThreadIdxY;
    case IterAnnotation::ThreadIdxZ: return ForKind::ThreadIdxZ;
  }
  return ForKind::Serial;
}

// Everything lowering decides about one stage before emitting it.
struct StageInfo {
  std::vector<Expr> leaf_vars;        // one loop variable per leaf, in loop order
  std::vector<int64_t> node_extents;  // after bound inference
  std::vector<Expr> base;             // per spatial axis: global index of local 0
  std::vector<int64_t> region;        // per spatial axis: buffer extent
  std::vector<Expr> local_root;       // per root axis (spatial, reduce): local value
  Expr guard;                         // spatial axes inside the region (or null)
  Expr reduce_guard;                  // reduce axes inside their extent (or null)
  ir::Expr body;                      // op body with inlined producers substituted
};

class StateLowerer {
 public:
  explicit StateLowerer(const State& state) : state_(state), info_(state.num_stages()) {}

  LoweredFunc lower(const std::string& name) {
    if (state_.has_unknown_extents()) fail("cannot lower a state with unknown split lengths");
    int n = state_.num_stages();
    for (int i = 0; i < n; ++i)
      if (computed(i)) info_[i].body = inline_producers(state_.stage(i).op->body);
    // Consumers before producers: a stage's region depends on its consumer's loops.
    for (int i = n - 1; i >= 0; --i)
      if (computed(i)) infer_stage(i);

    LoweredFunc f;
    f.name = name;
    std::vector<std::pair<int, int>> inputs, outputs;
    for (int i = 0; i < n; ++i) {
      if (state_.stage(i).input_index >= 0) inputs.emplace_back(state_.stage(i).input_index, i);
      if (state_.stage(i).output_index >= 0) outputs.emplace_back(state_.stage(i).output_index, i);
    }
    std::sort(inputs.begin(), inputs.end());
    std::sort(outputs.begin(), outputs.end());
    for (auto [unused, i] : inputs) f.params.push_back(state_.stage(i).op);
    for (auto [unused, i] : outputs) f.params.push_back(state_.stage(i).op);

    std::vector<Stmt> nests;
    std::vector<int> globals;
    for (int i = 0; i < n; ++i) {
      const Stage& s = state_.stage(i);
      if (!computed(i) || s.compute_at != ComputeAtKind::Root) continue;
      nests.push_back(emit_stage(i));
      if (s.output_index < 0) globals.push_back(i);
    }
    Stmt body = make_seq(std::move(nests));
    for (auto it = globals.rbegin(); it != globals.rend(); ++it) body = allocate(*it, body);
    f.body = body;
    return f;
  }

 private:
  bool computed(int i) const {
    const Stage& s = state_.stage(i);
    return s.kind == schedule::StageKind::Compute && s.compute_at != ComputeAtKind::Inlined;
  }

  // Loads of inlined stages become their bodies, recursively.
  ir::Expr inline_producers(const ir::Expr& e) const {
    return ir::rewrite(e, [&](const ir::Expr& x) {
      if (x->kind != ir::ExprKind::Load) return x;
      int p = state_.stage_of(x->tensor.get());
      if (p < 0 || state_.stage(p).compute_at != ComputeAtKind::Inlined) return x;
      const ir::OpNode& op = *state_.stage(p).op;
      ir::VarMap map;
      for (size_t d = 0; d < op.axes.size(); ++d) map[op.axes[d].var.get()] = x->operands[d];
      return inline_producers(ir::substitute(op.body, map));
    });
  }

  // Global values of a stage's root axes, in terms of its leaf loop variables.
  std::vector<Expr> global_root(int i) const {
    const StageInfo& in = info_[i];
    std::vector<Expr> g = in.local_root;
    for (size_t d = 0; d < in.base.size(); ++d) g[d] = ir::simplify(in.base[d] + g[d], ranges_);
    return g;
  }

  void infer_stage(int i) {
    const Stage& s = state_.stage(i);
    StageInfo& in = info_[i];
    int ns = s.num_spatial_axes();
    std::vector<int64_t> root_extents;
    if (s.compute_at == ComputeAtKind::Iter) {
      infer_region(i);
    } else {
      in.base.assign(ns, ir::int_imm(0));
      in.region = s.op->shape;
    }
    root_extents = in.region;
    for (const auto& r : s.op->reduce_axes) root_extents.push_back(r.extent);
    in.node_extents = tightens_tiles(i) ? tight_node_extents(s, root_extents)
                                        : schedule::derive_node_extents(s, root_extents);
    for (const auto& it : s.iters) {
      in.leaf_vars.push_back(ir::var(it.name));
      ranges_[in.leaf_vars.back().get()] = ir::Interval{0, in.node_extents[it.node] - 1};
    }
    in.local_root = schedule::root_axis_values(s, in.leaf_vars, in.node_extents);
    // Loops that overshoot the region (a split that does not divide a shrunk
    // extent) are guarded.
    for (int d = 0; d < s.num_root_axes(); ++d) {
      in.local_root[d] = ir::simplify(in.local_root[d], ranges_);
      int64_t limit = root_extents[d];
      if (ir::bound(in.local_root[d], ranges_).max <= limit - 1) continue;
      Expr cond = in.local_root[d] < ir::int_imm(limit);
      Expr& g = d < ns ? in.guard : in.reduce_guard;
      g = g ? ir::logical_and(g, cond) : cond;
    }
  }

  // The region of stage i that one iteration of its consumer's attach loop reads.
  void infer_region(int i) {
    const Stage& s = state_.stage(i);
    StageInfo& in = info_[i];
    int t = s.attach_stage;
    const Stage& target = state_.stage(t);
    const StageInfo& tin = info_[t];
    int pos = target.leaf_index(s.attach_node);
    BCD_CHECK(pos >= 0, "{} is attached to a loop {} no longer has", s.op->name, target.op->name);

    // Consumer leaves up to the attach loop are fixed, the ones inside it vary.
    std::vector<AxisRange> leaves;
    for (size_t l = 0; l < target.iters.size(); ++l) {
      if (static_cast<int>(l) <= pos)
        leaves.push_back(AxisRange{tin.leaf_vars[l], 1});
      else
        leaves.push_back(AxisRange{ir::int_imm(0), tin.node_extents[target.iters[l].node]});
    }
    std::vector<AxisRange> roots = schedule::root_axis_ranges(target, leaves, tin.node_extents);
    // Consumer axis value = base + fresh offset variable over the range.
    ir::VarMap to_offsets;
    ir::VarMap offsets_to_zero;
    ir::RangeMap ranges = ranges_;
    std::vector<Expr> offsets;
    // A shared buffer is one per thread block: it must hold what every thread of
    // the block reads, so the thread- and vthread-bound loops around the attach
    // point vary like the loops inside it, and its base must not name them.
    if (s.scope == "shared")
      for (const Expr& v : enclosing_thread_vars(t, pos)) {
        offsets.push_back(v);
        offsets_to_zero[v.get()] = ir::int_imm(0);
      }
    const ir::OpNode& top = *target.op;
    for (size_t d = 0; d < roots.size(); ++d) {
      bool spatial = d < top.axes.size();
      const ir::Expr& axis = spatial ? top.axes[d].var : top.reduce_axes[d - top.axes.size()].var;
      Expr base = spatial ? tin.base[d] + roots[d].base : roots[d].base;
      Expr off = ir::var(fmt::format("t{}", d));
      ranges[off.get()] = ir::Interval{0, roots[d].extent - 1};
      offsets.push_back(off);
      offsets_to_zero[off.get()] = ir::int_imm(0);
      to_offsets[axis.get()] = base + off;
    }

    int ns = s.num_spatial_axes();
    in.base.assign(ns, Expr());
    in.region.assign(ns, 0);
    std::vector<bool> full(ns, false);
    bool read = false;
    ir::visit(tin.body, [&](const ir::Expr& e) {
      if (e->kind != ir::ExprKind::Load || e->tensor != s.op) return true;
      read = true;
      for (int d = 0; d < ns; ++d) {
        if (full[d]) continue;
        Expr index = ir::simplify(ir::substitute(e->operands[d], to_offsets), ranges);
        Expr at_zero = ir::simplify(ir::substitute(index, offsets_to_zero), ranges);
        Expr delta = ir::simplify(index - at_zero, ranges);
        bool separable = true;
        ir::visit(delta, [&](const ir::Expr& x) {
          if (x->kind == ir::ExprKind::Var &&
              std::none_of(offsets.begin(), offsets.end(), [&](const Expr& o) { return o.same_as(x); }))
            separable = false;
          return separable;
        });
        if (!separable) {
          full[d] = true;
          continue;
        }
        ir::Interval span = ir::bound(delta, ranges);
        Expr lo = ir::simplify(at_zero + ir::int_imm(span.min), ranges_);
        int64_t extent = span.max - span.min + 1;
        if (!in.base[d]) {
          in.base[d] = lo;
          in.region[d] = extent;
          continue;
        }
        // A second read: merge when the two bases differ by a constant.
        int64_t diff;
        if (!ir::is_const_int(ir::simplify(lo - in.base[d], ranges_), &diff)) {
          full[d] = true;
          continue;
        }
        int64_t new_lo = std::min<int64_t>(0, diff);
        int64_t new_hi = std::max(in.region[d] - 1, diff + extent - 1);
        if (new_lo < 0) in.base[d] = lo;
        in.region[d] = new_hi - new_lo + 1;
      }
      return true;
    });
    if (!read) fail("{} is computed at {}, which does not read it", s.op->name, target.op->name);
    for (int d = 0; d < ns; ++d) {
      int64_t dim = s.op->shape[d];
      if (full[d] || in.region[d] >= dim) {
        in.base[d] = ir::int_imm(0);
        in.region[d] = dim;
      } else {
        // Keep the region inside the tensor: reads outside it (under a padding
        // select) are never evaluated, and computing there would read out of bounds.
        in.base[d] = ir::simplify(ir::max(ir::min(in.base[d], ir::int_imm(dim - in.region[d])), ir::int_imm(0)),
                                  ranges_);
      }
    }
  }

  // Stage i is computed inside a thread- or vthread-bound loop.
  bool under_gpu_threads(int i) const {
    const Stage& s = state_.stage(i);
    if (s.compute_at != ComputeAtKind::Iter) return false;
    return !enclosing_thread_vars(s.attach_stage, state_.stage(s.attach_stage).leaf_index(s.attach_node)).empty();
  }

  // Whether stage i's split parts shrink to the region it computes (as TVM's bound
  // inference tightens a split's inner extent to its parent's). A stage computed
  // inside another covers only the consumer's tile, and tiled for more than that (a
  // cache-write stage computed at its consumer's outer tile keeps that tile's
  // loops) it would run its outer loops, with every producer computed inside them,
  // for guarded-off iterations: a tuned 7x7 conv ran its reduction twice, one of
  // them for nothing. Not for a stage whose own loops are bound to GPU threads or
  // vthreads outside a thread-bound loop: its thread counts are the kernel's.
  bool tightens_tiles(int i) const {
    const Stage& s = state_.stage(i);
    if (s.compute_at != ComputeAtKind::Iter) return false;
    if (under_gpu_threads(i)) return true;
    return std::none_of(s.iters.begin(), s.iters.end(), [](const schedule::Iterator& it) {
      return it.annotation == IterAnnotation::VThread ||
             (it.annotation >= IterAnnotation::BlockIdxX && it.annotation <= IterAnnotation::ThreadIdxZ);
    });
  }

  // Like derive_node_extents, but a split part whose inner parts already cover
  // the (shrunk) parent gets the extent it needs, and the parts outside it run
  // once. A stage tiled for the whole block and computed at one thread's tile
  // would otherwise repeat its outer tile loops (with their fetches and
  // barriers) for guarded-off iterations. Every value below the parent's extent
  // is still produced exactly once.
  static std::vector<int64_t> tight_node_extents(const Stage& stage, const std::vector<int64_t>& root_extents) {
    std::vector<int64_t> ext = stage.node_extents;
    for (size_t i = 0; i < root_extents.size(); ++i) ext[i] = root_extents[i];
    for (const auto& rel : stage.relations) {
      if (rel.kind == schedule::IterRelation::Fuse) {
        int64_t product = 1;
        for (int in : rel.inputs) product *= ext[in];
        ext[rel.outputs[0]] = product;
        continue;
      }
      int64_t fixed = 1;
      for (size_t o = 0; o < rel.outputs.size(); ++o)
        if (static_cast<int>(o) != rel.free_output) fixed *= stage.node_extents[rel.outputs[o]];
      int64_t parent = ext[rel.inputs[0]];
      ext[rel.outputs[rel.free_output]] = (parent + fixed - 1) / fixed;
      int64_t inner = 1;
      for (size_t o = rel.outputs.size(); o-- > 0;) {
        int64_t& e = ext[rel.outputs[o]];
        e = inner >= parent ? 1 : std::min(e, (parent + inner - 1) / inner);
        inner *= e;
      }
    }
    return ext;
  }

  // Variables of the thread- and vthread-bound loops of stage t at or above its
  // leaf `pos`, and of the stages t is computed in, outwards.
  std::vector<Expr> enclosing_thread_vars(int t, int pos) const {
    std::vector<Expr> vars;
    while (t >= 0) {
      const Stage& st = state_.stage(t);
      for (int l = 0; l <= pos && l < static_cast<int>(st.iters.size()); ++l) {
        IterAnnotation a = st.iters[l].annotation;
        if (a == IterAnnotation::VThread || (a >= IterAnnotation::ThreadIdxX && a <= IterAnnotation::ThreadIdxZ))
          vars.push_back(info_[t].leaf_vars[l]);
      }
      if (st.compute_at != ComputeAtKind::Iter) break;
      pos = state_.stage(st.attach_stage).leaf_index(st.attach_node);
      t = st.attach_stage;
    }
    return vars;
  }

  // Loads of stages with a shrunk buffer are shifted by that buffer's base.
  ir::Expr localize_loads(const ir::Expr& e) const {
    return ir::rewrite(e, [&](const ir::Expr& x) {
      if (x->kind != ir::ExprKind::Load) return x;
      int p = state_.stage_of(x->tensor.get());
      if (p < 0 || state_.stage(p).compute_at != ComputeAtKind::Iter) return x;
      std::vector<Expr> idx;
      for (size_t d = 0; d < x->operands.size(); ++d)
        idx.push_back(ir::simplify(x->operands[d] - info_[p].base[d], ranges_));
      return ir::load(x->tensor, idx);
    });
  }

  Stmt allocate(int i, Stmt body) const {
    const Stage& s = state_.stage(i);
    std::vector<int64_t> shape = info_[i].region;
    // StorageAlign: pad the dimension after `axis` so that the stride of `axis`
    // is congruent to offset modulo factor.
    int a = s.storage_align_axis;
    if (a >= 0 && a + 1 < static_cast<int>(shape.size())) {
      int64_t inner = 1;
      for (size_t d = a + 2; d < shape.size(); ++d) inner *= shape[d];
      for (int64_t pad = 0; pad < s.storage_align_factor; ++pad)
        if (((shape[a + 1] + pad) * inner) % s.storage_align_factor == s.storage_align_offset) {
          shape[a + 1] += pad;
          break;
        }
    }
    // A buffer computed inside another stage's loop is private to that iteration.
    MemScope scope = s.compute_at == ComputeAtKind::Root ? MemScope::Global
                     : s.scope == "shared"                ? MemScope::Shared
                                                          : MemScope::Local;
    return make_allocate(s.op, shape, scope, std::move(body));
  }

  Stmt emit_stage(int i) {
    const Stage& s = state_.stage(i);
    const StageInfo& in = info_[i];
    const ir::OpNode& op = *s.op;
    int ns = s.num_spatial_axes();
    std::vector<Expr> global = global_root(i);
    std::vector<Expr> store_index(in.local_root.begin(), in.local_root.begin() + ns);

    ir::VarMap axes;
    for (int d = 0; d < ns; ++d) axes[op.axes[d].var.get()] = global[d];
    for (size_t r = 0; r < op.reduce_axes.size(); ++r) axes[op.reduce_axes[r].var.get()] = global[ns + r];
    ir::Expr value = in.body->kind == ir::ExprKind::Reduce ? in.body->operands[0] : in.body;
    value = ir::simplify(localize_loads(ir::substitute(value, axes)), ranges_);

    Stmt main, init;
    if (op.has_reduce()) {
      Expr current = ir::load(s.op, store_index);
      Expr combined;
      switch (in.body->reduce_op) {
        case ir::ReduceOp::Sum: combined = current + value; break;
        case ir::ReduceOp::Max: combined = ir::max(current, value); break;
        case ir::ReduceOp::Min: combined = ir::min(current, value); break;
      }
      main = make_store(s.op, store_index, combined);
      if (in.reduce_guard) main = make_if(in.reduce_guard, main);
      init = make_store(s.op, store_index, ir::float_imm(ir::reduce_identity(in.body->reduce_op)));
      if (in.guard) init = make_if(in.guard, init);
    } else {
      main = make_store(s.op, store_index, value);
    }
    if (in.guard) main = make_if(in.guard, main);

    int n = static_cast<int>(s.iters.size());
    int first_reduce = n;
    for (int l = 0; l < n; ++l)
      if (s.iters[l].kind != schedule::IterKind::Spatial) {
        first_reduce = l;
        break;
      }
    Stmt nest = main;
    for (int l = n - 1; l >= first_reduce; --l) nest = emit_loop(i, l, nest, true);
    if (init) {
      for (int l = n - 1; l >= first_reduce; --l)
        if (s.iters[l].kind == schedule::IterKind::Spatial) init = emit_loop(i, l, init, false);
      nest = make_seq({init, nest});
    }
    for (int l = first_reduce - 1; l >= 0; --l) nest = emit_loop(i, l, nest, true);
    if (s.auto_unroll_max_step > 0) {
      nest = auto_unroll(nest, s.auto_unroll_max_step).first;
      // Keep the pragma on the stage's outermost loop: the cost model reads it.
      if (nest->kind == StmtKind::For)
        nest = make_for(nest->loop_var, nest->extent, nest->for_kind, nest->body[0], s.auto_unroll_max_step);
    }
    return nest;
  }

  // The loop of leaf l around `body`, with the stages attached at it computed first.
  Stmt emit_loop(int i, int l, Stmt body, bool with_attached) {
    const Stage& s = state_.stage(i);
    const StageInfo& in = info_[i];
    const auto& it = s.iters[l];
    if (with_attached) {
      std::vector<int> attached;
      for (int a : state_.attached_stages(i))
        if (state_.stage(a).attach_node == it.node) attached.push_back(a);
      if (!attached.empty()) {
        // Threads share a shared buffer: wait until nobody reads the previous
        // tile before overwriting it, and until the new tile is complete before
        // reading it.
        bool shared = std::any_of(attached.begin(), attached.end(),
                                  [&](int a) { return state_.stage(a).scope == "shared"; });
        std::vector<Stmt> seq;
        if (shared) seq.push_back(make_sync());
        for (int a : attached) seq.push_back(emit_stage(a));
        if (shared) seq.push_back(make_sync());
        seq.push_back(body);
        body = make_seq(std::move(seq));
        for (auto a = attached.rbegin(); a != attached.rend(); ++a) body = allocate(*a, body);
      }
    }
    return make_for(in.leaf_vars[l], in.node_extents[it.node], for_kind_of(it.annotation), body);
  }

  // Marks serial loops whose whole body runs at most `max_step` statement
  // executions as unrolled; returns the rewritten statement and its step count.
  // A vectorized loop is one step per statement of its body, as in TVM (where
  // vectorization runs before unrolling and leaves one vector statement), so a
  // register tile of a few rows of vectors is unrolled around them.
  std::pair<Stmt, int64_t> auto_unroll(const Stmt& s, int64_t max_step) {
    switch (s->kind) {
      case StmtKind::For: {
        auto [body, steps] = auto_unroll(s->body[0], max_step);
        int64_t total = s->for_kind == ForKind::Vectorized ? steps : steps * s->extent;
        ForKind kind = s->for_kind;
        if (kind == ForKind::Serial && total <= max_step) kind = ForKind::Unrolled;
        return {make_for(s->loop_var, s->extent, kind, body, s->auto_unroll_max_step), total};
      }
      case StmtKind::Store: return {s, 1};
      case StmtKind::Sync: return {s, 1};
      default: {
        std::vector<Stmt> body;
        int64_t steps = 0;
        for (const auto& b : s->body) {
          auto [nb, st] = auto_unroll(b, max_step);
          body.push_back(nb);
          steps += st;
        }
        return {with_body(s, std::move(body)), std::max<int64_t>(steps, 1)};
      }
    }
  }

  const State& state_;
  std::vector<StageInfo> info_;
  ir::RangeMap ranges_;  // every loop variable created so far
};

}  // namespace

LoweredFunc lower_state(const State& state, const std::string& name) {
  return StateLowerer(state).lower(name);
}

LoweredFunc lower_default(const ir::ComputeDAG& dag, const std::string& name) {
  return lower_state(State(dag), name);
}

}  // namespace bcd::lower
