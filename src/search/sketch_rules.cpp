#include "search/sketch_rules.h"

#include <functional>

#include "ir/expr_functor.h"
#include "schedule/transform_step.h"
#include "search/sketch_rule_util.h"
#include "search/sketch_rules_gpu.h"
#include "support/error.h"

namespace bcd::search {

using namespace sketch;

using schedule::ComputeAtKind;
using schedule::IterKind;
using schedule::State;
using schedule::StageKind;

namespace {

bool needs_rfactor(const SearchTask& task, const State& s, int id) {
  const auto& st = s.stage(id);
  if (!st.op->has_reduce()) return false;
  auto [space, reduce] = space_and_reduce_lengths(st);
  if (ir::needs_multi_level_tiling(*st.op))
    return !(space > reduce || space > task.hardware().num_cores * 16);
  return reduce > task.hardware().num_cores;
}

}  // namespace

bool is_elementwise_consumer(const State& s, int consumer, int producer) {
  const ir::OpNode& c = *s.stage(consumer).op;
  const ir::OpNode& p = *s.stage(producer).op;
  if (c.shape != p.shape || c.has_reduce()) return false;
  std::function<bool(const ir::Expr&)> check = [&](const ir::Expr& body) {
    bool ok = true;
    ir::visit(body, [&](const ir::Expr& e) {
      if (!ok || e->kind != ir::ExprKind::Load) return ok;
      if (e->tensor.get() == &p) {
        for (size_t d = 0; d < e->operands.size(); ++d) ok = ok && e->operands[d].same_as(c.axes[d].var);
        return false;
      }
      int q = s.stage_of(e->tensor.get());
      if (q >= 0 && s.stage(q).compute_at == ComputeAtKind::Inlined) {
        // Inlined stage read elementwise: its reads count as the consumer's.
        const ir::OpNode& inl = *s.stage(q).op;
        if (inl.shape != c.shape) return true;
        for (size_t d = 0; d < e->operands.size(); ++d)
          if (!e->operands[d].same_as(c.axes[d].var)) return true;
        ir::VarMap map;
        for (size_t d = 0; d < inl.axes.size(); ++d) map[inl.axes[d].var.get()] = c.axes[d].var;
        ok = ok && check(ir::substitute(inl.body, map));
        return false;
      }
      return true;
    });
    return ok;
  };
  return check(c.body);
}

bool has_single_elementwise_consumer(const State& s, int id, int* consumer) {
  std::vector<int> consumers = s.effective_consumers(id);
  if (consumers.size() != 1) return false;
  if (!is_elementwise_consumer(s, consumers[0], id)) return false;
  // Reads through inlined stages must also be elementwise.
  for (int c : s.consumers(id))
    if (c != consumers[0] && !is_elementwise_consumer(s, c, id)) return false;
  *consumer = consumers[0];
  return true;
}

std::vector<State> generate_sketches(const SearchTask& task) {
  if (task.is_gpu()) return generate_gpu_sketches(task);
  std::vector<Rule> rules = {
      always_inline_rule(ir::is_strictly_inlineable),
      // Add rfactor: fuse the reduction iterators, split, factor out either part.
      [](const SearchTask& t, const State& s, int id, std::vector<Branch>* out) {
        if (is_placeholder(s, id) || !needs_rfactor(t, s, id) || has_cache_write_stage(s, id)) return Condition::Skip;
        if (out) {
          State base = s;
          std::vector<int> reduce;
          for (int i = 0; i < static_cast<int>(base.stage(id).iters.size()); ++i)
            if (base.stage(id).iters[i].kind == IterKind::Reduce) reduce.push_back(i);
          int fused = reduce.front();
          bool consecutive = reduce.back() - reduce.front() + 1 == static_cast<int>(reduce.size());
          if (!consecutive) return Condition::Apply;  // rfactor needs the reductions together
          base.apply(schedule::fuse_step(id, reduce));
          base.apply(schedule::split_step(id, fused, base.stage(id).iters[fused].extent, {0}));
          int n_space = base.stage(id).num_spatial_axes();
          for (int part = 0; part < 2; ++part) {
            State n = base;
            n.apply(schedule::rfactor_step(id, fused + 1 - part, n_space));
            // The rfactor stage is at `id`; the final reduction after it.
            out->push_back({n, id - 1});
          }
        }
        return Condition::Apply;
      },
      // Add cache write.
      [](const SearchTask&, const State& s, int id, std::vector<Branch>* out) {
        int consumer;
        if (is_placeholder(s, id) || !ir::needs_multi_level_tiling(*s.stage(id).op) ||
            has_single_elementwise_consumer(s, id, &consumer))
          return Condition::Skip;
        if (out) {
          State n = s;
          n.apply(schedule::cache_write_step(id, "local"));
          out->push_back({n, id});  // the local stage now sits at `id`
        }
        return Condition::Apply;
      },
      // Multi-level tiling with fusion into the elementwise consumer.
      [](const SearchTask&, const State& s, int id, std::vector<Branch>* out) {
        int consumer;
        if (is_placeholder(s, id) || !ir::needs_multi_level_tiling(*s.stage(id).op) ||
            !has_single_elementwise_consumer(s, id, &consumer))
          return Condition::Skip;
        if (out) {
          State base = s;
          std::vector<int> splits = multi_level_tiling(base, id, kCpuTileStructure);
          for (int level : {1, 2}) {
            State n = base;
            follow_tiling(n, consumer, splits, level);
            int n_spatial = n.stage(consumer).num_spatial_axes();
            n.apply(schedule::compute_at_step(id, consumer, level * n_spatial - 1));
            out->push_back({n, id - 1});
          }
        }
        return has_cache_write_stage(s, id) ? Condition::ApplyAndSkipRest : Condition::Apply;
      },
      // Multi-level tiling.
      [](const SearchTask&, const State& s, int id, std::vector<Branch>* out) {
        if (is_placeholder(s, id) || !ir::needs_multi_level_tiling(*s.stage(id).op)) return Condition::Skip;
        if (out) {
          State n = s;
          multi_level_tiling(n, id, kCpuTileStructure);
          out->push_back({n, id - 1});
        }
        return Condition::ApplyAndSkipRest;
      },
      skip_rule(),
  };
  return derive_sketches(task, rules);
}

}  // namespace bcd::search
