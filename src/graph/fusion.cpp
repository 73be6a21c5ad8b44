#include "graph/fusion.h"

#include <algorithm>
#include <set>

#include "graph/op_defs.h"
#include "support/error.h"

namespace bcd::graph {

namespace {

bool is_source(const Node& n) { return op_class(n.op) == OpClass::Source; }

class Fuser {
 public:
  explicit Fuser(const Graph& g) : g_(g), group_(g.size(), -1) {}

  std::vector<Subgraph> run() {
    for (const Node& n : g_.nodes()) {
      if (is_source(n) || group_[n.id] >= 0) continue;
      const int gid = static_cast<int>(groups_.size());
      groups_.push_back({{n.id}, n.id, {}});
      group_[n.id] = gid;
      const OpClass start = op_class(n.op);
      while (extend(gid, start)) {
      }
    }
    for (Subgraph& s : groups_) finish(s);
    return order_groups();
  }

 private:
  // Whether `op` may join a subgraph that started with an op of class `start`.
  static bool absorbable(OpClass start, OpType op) {
    const OpClass c = op_class(op);
    if (c == OpClass::Elementwise) return true;
    return c == OpClass::Injective && start != OpClass::Anchor;
  }

  // True if node `x` (transitively) reads a member of group `gid`.
  bool depends_on_group(int x, int gid) {
    std::vector<int> stack{x};
    std::set<int> seen;
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      if (group_[v] == gid) return true;
      if (!seen.insert(v).second) continue;
      for (int in : g_.node(v).inputs) stack.push_back(in);
    }
    return false;
  }

  // Tries to absorb the consumers of the group's output; true if it grew.
  bool extend(int gid, OpClass start) {
    Subgraph& s = groups_[gid];
    const int tail = s.output;
    if (g_.is_output(tail)) return false;
    const std::vector<int>& cons = g_.consumers(tail);
    std::set<int> set(cons.begin(), cons.end());
    if (set.empty()) return false;
    // Grow the set until it closes on one new output: every other member is read
    // only inside the set, so the subgraph keeps a single output. A diamond
    // (x -> relu, sigmoid -> add) needs a few rounds; give up on wide fan-outs.
    int new_tail = -1;
    for (int round = 0;; ++round) {
      for (int c : set)
        if (group_[c] >= 0 || !absorbable(start, g_.node(c).op)) return false;
      std::set<int> escaping, outside;
      for (int c : set) {
        if (g_.is_output(c)) escaping.insert(c);
        for (int u : g_.consumers(c))
          if (!set.count(u)) {
            escaping.insert(c);
            outside.insert(u);
          }
      }
      if (escaping.size() <= 1) {
        // No escaping member: dead ends; keep the last one as the output.
        new_tail = escaping.empty() ? *set.rbegin() : *escaping.begin();
        break;
      }
      if (round == 4 || set.size() + outside.size() > 16) return false;
      set.insert(outside.begin(), outside.end());
    }
    // Inputs from outside must not depend on this group (or the fused kernel
    // would need its own output before it runs); inputs inside the set are fine.
    for (int c : set)
      for (int in : g_.node(c).inputs)
        if (in != tail && !set.count(in) && group_[in] != gid && depends_on_group(in, gid))
          return false;
    for (int c : set) {
      s.nodes.push_back(c);
      group_[c] = gid;
    }
    std::sort(s.nodes.begin(), s.nodes.end());
    s.output = new_tail;
    return true;
  }

  void finish(Subgraph& s) {
    for (int m : s.nodes)
      for (int in : g_.node(m).inputs)
        if (group_[in] != group_[s.output] &&
            std::find(s.inputs.begin(), s.inputs.end(), in) == s.inputs.end())
          s.inputs.push_back(in);
  }

  // Groups in dependency order (Kahn's algorithm, smallest first member first).
  std::vector<Subgraph> order_groups() {
    const int count = static_cast<int>(groups_.size());
    std::vector<std::set<int>> deps(count);
    for (int gid = 0; gid < count; ++gid)
      for (int in : groups_[gid].inputs)
        if (group_[in] >= 0) deps[gid].insert(group_[in]);
    std::vector<Subgraph> ordered;
    std::vector<bool> done(count, false);
    while (static_cast<int>(ordered.size()) < count) {
      bool progress = false;
      for (int gid = 0; gid < count; ++gid) {
        if (done[gid]) continue;
        bool ready = true;
        for (int d : deps[gid]) ready = ready && done[d];
        if (!ready) continue;
        done[gid] = true;
        ordered.push_back(groups_[gid]);
        progress = true;
        break;
      }
      BCD_CHECK(progress, "fusion produced a cycle among {} subgraphs", count);
    }
    return ordered;
  }

  const Graph& g_;
  std::vector<int> group_;
  std::vector<Subgraph> groups_;
};

}  // namespace

std::vector<Subgraph> fuse(const Graph& graph) { return Fuser(graph).run(); }

ir::ComputeDAG subgraph_dag(const Graph& graph, const Subgraph& subgraph) {
  std::vector<ir::Tensor> tensors(graph.size());
  std::vector<ir::Tensor> placeholders;
  for (size_t k = 0; k < subgraph.inputs.size(); ++k) {
    const Node& n = graph.node(subgraph.inputs[k]);
    // Roles, not node names, so that equal subgraphs print alike.
    const char* role = n.op == OpType::Constant ? "weight" : "data";
    tensors[n.id] = ir::placeholder(n.shape, role + std::to_string(k));
    placeholders.push_back(tensors[n.id]);
  }
  for (int m : subgraph.nodes) {
    const Node& n = graph.node(m);
    std::vector<ir::Tensor> in;
    for (int i : n.inputs) in.push_back(tensors[i]);
    tensors[m] = node_compute(n, in);
  }
  return ir::ComputeDAG(placeholders, {tensors[subgraph.output]});
}

}  // namespace bcd::graph
