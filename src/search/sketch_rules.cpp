#include "search/sketch_rules.h"

#include <functional>

#include "ir/expr_functor.h"
#include "schedule/transform_step.h"
#include "support/error.h"

namespace bcd::search {

using schedule::ComputeAtKind;
using schedule::IterKind;
using schedule::State;
using schedule::StageKind;

namespace {

enum class Condition { Skip, Apply, ApplyAndSkipRest };

struct Branch {
  State state;
  int next_stage;
};

bool is_output(const State& s, int id) { return s.stage(id).output_index >= 0; }
bool is_placeholder(const State& s, int id) { return s.stage(id).kind == StageKind::Placeholder; }

bool has_cache_write_stage(const State& s, int id) {
  // The stage a cache_write created reads only through its copy.
  return id + 1 < s.num_stages() && s.stage(id + 1).op->name + ".local" == s.stage(id).op->name;
}

std::pair<int64_t, int64_t> space_and_reduce_lengths(const schedule::Stage& st) {
  int64_t space = 1, reduce = 1;
  for (const auto& it : st.iters) (it.kind == IterKind::Reduce ? reduce : space) *= std::max<int64_t>(it.extent, 1);
  return {space, reduce};
}

bool needs_rfactor(const SearchTask& task, const State& s, int id) {
  const auto& st = s.stage(id);
  if (!st.op->has_reduce()) return false;
  auto [space, reduce] = space_and_reduce_lengths(st);
  if (ir::needs_multi_level_tiling(*st.op))
    return !(space > reduce || space > task.hardware.num_cores * 16);
  return reduce > task.hardware.num_cores;
}

// Splits every spatial iterator into 4 parts and every reduction iterator into 2
// (lengths unknown), then orders them level by level as in `structure`. Returns
// the ids of the spatial split steps, in axis order.
std::vector<int> multi_level_tiling(State& s, int id, const std::string& structure) {
  int n_space = 0, n_reduce = 0;
  for (char c : structure) (c == 'S' ? n_space : n_reduce)++;
  std::vector<std::vector<int>> levels_space(n_space), levels_reduce(n_reduce);
  std::vector<int> split_steps;
  // Split from the last iterator so earlier iterator indices stay valid.
  int n = static_cast<int>(s.stage(id).iters.size());
  std::vector<std::pair<int, IterKind>> order;
  for (int i = 0; i < n; ++i) order.emplace_back(i, s.stage(id).iters[i].kind);
  std::vector<int> step_of_iter(n, -1);
  for (int i = n - 1; i >= 0; --i) {
    const auto& it = s.stage(id).iters[i];
    int parts = it.kind == IterKind::Spatial ? n_space : n_reduce;
    s.apply(schedule::split_step(id, i, it.extent, std::vector<int64_t>(parts - 1, 0)));
    step_of_iter[i] = static_cast<int>(s.history().size()) - 1;
  }
  // After splitting, iterator i's parts are consecutive; gather them by level.
  std::vector<std::vector<int>> space_parts, reduce_parts;
  int pos = 0;
  for (int i = 0; i < n; ++i) {
    bool spatial = order[i].second == IterKind::Spatial;
    int parts = spatial ? n_space : n_reduce;
    std::vector<int> ids;
    for (int p = 0; p < parts; ++p) ids.push_back(pos++);
    (spatial ? space_parts : reduce_parts).push_back(ids);
    if (spatial) split_steps.push_back(step_of_iter[i]);
  }
  std::vector<int> new_order;
  int si = 0, ri = 0;
  for (char c : structure) {
    if (c == 'S') {
      for (const auto& parts : space_parts) new_order.push_back(parts[si]);
      ++si;
    } else {
      for (const auto& parts : reduce_parts) new_order.push_back(parts[ri]);
      ++ri;
    }
  }
  s.apply(schedule::reorder_step(id, new_order));
  return split_steps;
}

// Splits the consumer's spatial iterators like the producer's split steps, at
// `level` levels, and groups the parts level by level.
void follow_tiling(State& s, int consumer, const std::vector<int>& split_steps, int level) {
  int n_spatial = s.stage(consumer).num_spatial_axes();
  BCD_CHECK(static_cast<int>(split_steps.size()) == n_spatial, "consumer has {} axes, producer {} splits", n_spatial,
            split_steps.size());
  for (int i = n_spatial - 1; i >= 0; --i) s.apply(schedule::follow_split_step(consumer, i, split_steps[i], level));
  int parts = level + 1;
  std::vector<int> new_order;
  for (int p = 0; p < parts; ++p)
    for (int i = 0; i < n_spatial; ++i) new_order.push_back(i * parts + p);
  for (int r = n_spatial * parts; r < static_cast<int>(s.stage(consumer).iters.size()); ++r) new_order.push_back(r);
  s.apply(schedule::reorder_step(consumer, new_order));
}

using Rule = std::function<Condition(const SearchTask&, const State&, int, std::vector<Branch>*)>;

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
  std::vector<Rule> rules = {
      // Always inline.
      [](const SearchTask&, const State& s, int id, std::vector<Branch>* out) {
        if (is_placeholder(s, id) || is_output(s, id) || !ir::is_strictly_inlineable(*s.stage(id).op) ||
            s.consumers(id).empty())
          return Condition::Skip;
        if (out) {
          State n = s;
          n.apply(schedule::compute_inline_step(id));
          out->push_back({n, id - 1});
        }
        return Condition::ApplyAndSkipRest;
      },
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
      // Skip.
      [](const SearchTask&, const State& s, int id, std::vector<Branch>* out) {
        if (out) out->push_back({s, id - 1});
        return Condition::Apply;
      },
  };

  std::vector<State> sketches;
  std::vector<Branch> now = {{State(task.dag), State(task.dag).num_stages() - 1}};
  while (!now.empty()) {
    std::vector<Branch> next;
    for (const auto& b : now) {
      if (b.next_stage < 0) {
        sketches.push_back(b.state);
        continue;
      }
      for (const auto& rule : rules) {
        Condition c = rule(task, b.state, b.next_stage, nullptr);
        if (c == Condition::Skip) continue;
        rule(task, b.state, b.next_stage, &next);
        if (c == Condition::ApplyAndSkipRest) break;
      }
    }
    now = std::move(next);
  }
  return sketches;
}

}  // namespace bcd::search
