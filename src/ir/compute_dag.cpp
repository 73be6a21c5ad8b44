#include "ir/compute_dag.h"

#include <fmt/format.h>

#include <functional>
#include <unordered_set>

#include "ir/expr_functor.h"
#include "support/error.h"
#include "support/hash.h"

namespace bcd::ir {

namespace {

// True if some node of `e` satisfies `pred` (the walk stops at the first).
bool any_node(const Expr& e, const std::function<bool(const Expr&)>& pred) {
  bool found = false;
  visit(e, [&](const Expr& x) {
    found = found || pred(x);
    return !found;
  });
  return found;
}

}  // namespace

bool has_expensive_call(const Expr& e) {
  return any_node(e, [](const Expr& x) { return x->kind == ExprKind::Call && x->fn != CallFn::Abs; });
}

bool has_branch(const Expr& e) {
  return any_node(e, [](const Expr& x) { return x->kind == ExprKind::Select; });
}

double expr_flops(const Expr& e) {
  double n = 0;
  visit(e, [&](const Expr& x) {
    if (x->kind == ExprKind::Call) {
      n += 1;
    } else if (is_binary(x->kind) && x->kind != ExprKind::And && x->kind != ExprKind::Or &&
               x->operands[0]->dtype == DType::Float) {
      n += 1;
    }
    return x->kind != ExprKind::Load;  // index arithmetic is not a FLOP
  });
  return n;
}

bool is_cheap_injective(const OpNode& op) {
  return op.is_compute() && !op.has_reduce() && !has_expensive_call(op.body);
}

bool is_strictly_inlineable(const OpNode& op) { return is_cheap_injective(op) && !has_branch(op.body); }

bool needs_multi_level_tiling(const OpNode& op) {
  if (!op.is_compute()) return false;
  // Data reuse: an input that does not depend on some spatial axis is re-read
  // along it. Two such inputs, or one plus a reduction, make tiling pay off.
  std::unordered_map<const OpNode*, std::unordered_set<const ExprNode*>> used;
  visit(op.body, [&](const Expr& e) {
    if (e->kind == ExprKind::Load) {
      auto& vars = used[e->tensor.get()];
      for (const auto& index : e->operands)
        visit(index, [&](const Expr& x) {
          if (x->kind == ExprKind::Var) vars.insert(x.get());
          return true;
        });
    }
    return true;
  });
  int inputs_with_reuse = 0;
  for (const auto& [tensor, vars] : used)
    for (const auto& axis : op.axes)
      if (axis.extent > 1 && !vars.count(axis.var.get())) {
        ++inputs_with_reuse;
        break;
      }
  return inputs_with_reuse >= 2 || (inputs_with_reuse >= 1 && op.has_reduce());
}

namespace {

// Prints an expression with variables and tensors named by position, so that two
// DAGs of the same structure and shapes print the same whatever their names.
class CanonicalPrinter {
 public:
  explicit CanonicalPrinter(const std::unordered_map<const OpNode*, int>& index) : index_(index) {}
  void name_var(const Expr& v, std::string name) { vars_[v.get()] = std::move(name); }

  std::string print(const Expr& e) {
    std::string s;
    switch (e->kind) {
      case ExprKind::IntImm: return fmt::format("{}{}", e->dtype == DType::Bool ? "b" : "", e->int_value);
      case ExprKind::FloatImm: return fmt::format("{:.9g}f", e->float_value);
      case ExprKind::Var: {
        auto it = vars_.find(e.get());
        return it != vars_.end() ? it->second : "?" + e->name;
      }
      case ExprKind::Load: s = fmt::format("T{}", index_.at(e->tensor.get())); break;
      case ExprKind::Call: s = call_name(e->fn); break;
      case ExprKind::Reduce: s = reduce_name(e->reduce_op); break;
      case ExprKind::Cast: s = e->dtype == DType::Float ? "castf" : "casti"; break;
      default: s = kind_name(e->kind); break;
    }
    s += "(";
    for (size_t i = 0; i < e->operands.size(); ++i) s += (i ? "," : "") + print(e->operands[i]);
    return s + ")";
  }

 private:
  const std::unordered_map<const OpNode*, int>& index_;
  std::unordered_map<const ExprNode*, std::string> vars_;
};

}  // namespace

ComputeDAG::ComputeDAG(std::vector<Tensor> inputs, std::vector<Tensor> outputs)
    : inputs_(std::move(inputs)), outputs_(std::move(outputs)) {
  if (outputs_.empty()) fail("a compute DAG needs at least one output");
  std::unordered_set<const OpNode*> declared;
  for (const auto& t : inputs_) {
    if (!t->is_placeholder()) fail("DAG input {} is not a placeholder", t->name);
    declared.insert(t.op().get());
  }
  // Post-order DFS from the outputs, inputs visited in order of first load.
  std::unordered_set<const OpNode*> done;
  std::function<void(const OpRef&)> dfs = [&](const OpRef& op) {
    if (done.count(op.get())) return;
    done.insert(op.get());
    for (const auto& in : op->inputs()) dfs(in);
    if (op->is_placeholder() && !declared.count(op.get()))
      fail("placeholder {} is used but not declared as a DAG input", op->name);
    ops_.push_back(Tensor(op));
  };
  // Placeholders first, in argument order, so they keep stable indices.
  for (const auto& t : inputs_) dfs(t.op());
  for (const auto& t : outputs_) dfs(t.op());
  for (size_t i = 0; i < ops_.size(); ++i) index_[ops_[i].op().get()] = static_cast<int>(i);
  analyze();
}

int ComputeDAG::index_of(const OpNode* op) const {
  auto it = index_.find(op);
  return it == index_.end() ? -1 : it->second;
}

void ComputeDAG::analyze() {
  access_.assign(ops_.size(), OpAccessInfo{});
  std::unordered_set<const OpNode*> output_set;
  for (const auto& t : outputs_) output_set.insert(t.op().get());

  CanonicalPrinter printer(index_);
  std::string canonical, description;
  for (size_t i = 0; i < ops_.size(); ++i) {
    const OpNode& op = *ops_[i];
    OpAccessInfo& info = access_[i];
    info.is_output = output_set.count(&op) > 0;
    if (op.is_placeholder()) {
      canonical += fmt::format("P{};", fmt::join(op.shape, "x"));
      continue;
    }
    for (size_t a = 0; a < op.axes.size(); ++a) printer.name_var(op.axes[a].var, fmt::format("a{}", a));
    for (size_t r = 0; r < op.reduce_axes.size(); ++r)
      printer.name_var(op.reduce_axes[r].var, fmt::format("r{}", r));
    std::vector<int64_t> rext;
    for (const auto& r : op.reduce_axes) rext.push_back(r.extent);
    canonical += fmt::format("C{}[{}|{}]={};", op.tag, fmt::join(op.shape, "x"), fmt::join(rext, "x"),
                             printer.print(op.body));

    // FLOPs: the body once per point of the iteration space (plus the combine).
    double points = 1;
    for (const auto& a : op.axes) points *= static_cast<double>(a.extent);
    if (op.has_reduce()) {
      for (const auto& r : op.reduce_axes) points *= static_cast<double>(r.extent);
      flops_ += points * (expr_flops(op.body->operands[0]) + 1);
    } else {
      flops_ += points * expr_flops(op.body);
    }

    // Reads, and whether each is elementwise.
    visit(op.body, [&](const Expr& e) {
      if (e->kind != ExprKind::Load) return true;
      int producer = index_.at(e->tensor.get());
      info.reads[producer].push_back(e->operands);
      bool elementwise = e->operands.size() == op.axes.size() &&
                         e->tensor->shape == op.shape;
      for (size_t d = 0; elementwise && d < e->operands.size(); ++d)
        elementwise = e->operands[d].same_as(op.axes[d].var);
      auto [it, fresh] = info.is_elementwise_read.emplace(producer, elementwise);
      if (!fresh) it->second = it->second && elementwise;
      return true;
    });
    for (const auto& [producer, unused] : info.reads) access_[producer].consumers.push_back(static_cast<int>(i));

    info.is_injective = !op.has_reduce();
    info.is_strictly_inlineable = is_strictly_inlineable(op);
    info.needs_multi_level_tiling = needs_multi_level_tiling(op);

    // Every described stage counts, repeats included: a residual block's
    // conv2d_add_add_relu is not its plain conv2d_add_relu (TVM names them so too).
    if (op.tag != "pad" && !op.tag.empty()) description += (description.empty() ? "" : "_") + op.tag;
  }
  for (auto& info : access_) {
    std::sort(info.consumers.begin(), info.consumers.end());
  }
  canonical_ = canonical;
  key_ = stable_hash_hex(canonical_);
  description_ = description.empty() ? "empty" : description;
  // Asked for every candidate the search lowers: computed once here.
  for (size_t i = 0; i < inputs_.size(); ++i) {
    bool free = std::any_of(ops_.begin(), ops_.end(), [&](const Tensor& op) {
      const auto& f = op->layout_free_inputs;
      return std::find(f.begin(), f.end(), inputs_[i].op()) != f.end();
    });
    if (free) layout_free_inputs_.push_back(static_cast<int>(i));
  }
}

}  // namespace bcd::ir
