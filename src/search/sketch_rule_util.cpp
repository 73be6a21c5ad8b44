#include "search/sketch_rule_util.h"

#include "ir/compute_dag.h"
#include "schedule/transform_step.h"
#include "support/error.h"

namespace bcd::search::sketch {

using schedule::IterKind;
using schedule::StageKind;
using schedule::State;

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

std::vector<int> multi_level_tiling(State& s, int id, const std::string& structure) {
  int n_space = 0, n_reduce = 0;
  for (char c : structure) (c == 'S' ? n_space : n_reduce)++;
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

bool always_inlined(const State& s, int id, bool (*inlineable)(const ir::OpNode&)) {
  return !is_placeholder(s, id) && !is_output(s, id) && inlineable(*s.stage(id).op) && !s.consumers(id).empty();
}

Rule always_inline_rule(bool (*inlineable)(const ir::OpNode&)) {
  return [inlineable](const SearchTask&, const State& s, int id, std::vector<Branch>* out) {
    if (!always_inlined(s, id, inlineable)) return Condition::Skip;
    if (out) {
      State n = s;
      n.apply(schedule::compute_inline_step(id));
      out->push_back({n, id - 1});
    }
    return Condition::ApplyAndSkipRest;
  };
}

Rule skip_rule() {
  return [](const SearchTask&, const State& s, int id, std::vector<Branch>* out) {
    if (out) out->push_back({s, id - 1});
    return Condition::Apply;
  };
}

std::vector<State> derive_sketches(const SearchTask& task, const std::vector<Rule>& rules) {
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

}  // namespace bcd::search::sketch
