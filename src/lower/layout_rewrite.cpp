#include "lower/layout_rewrite.h"

#include <algorithm>

#include "ir/expr_functor.h"
#include "ir/simplify.h"
#include "ir/tensor.h"
#include "lower/local_layout.h"
#include "lower/lower.h"
#include "lower/mixed_radix.h"

namespace bcd::lower {

namespace {

// Every load of `tensor` in the program, with the loops around it.
struct Access {
  std::vector<Expr> indices;
  LoopStack loops;
};

void collect_loads(const Expr& e, const ir::OpNode* tensor, const LoopStack& loops, std::vector<Access>& out) {
  if (!e) return;
  ir::visit(e, [&](const Expr& x) {
    if (x->kind == ir::ExprKind::Load && x->tensor.get() == tensor) out.push_back({x->operands, loops});
    return true;
  });
}

// False if the program writes `tensor`.
bool collect_accesses(const Stmt& s, const ir::OpNode* tensor, LoopStack& loops, std::vector<Access>& out) {
  switch (s->kind) {
    case StmtKind::For: {
      loops.push_back({s->loop_var, s->extent, static_cast<int>(loops.size())});
      bool ok = collect_accesses(s->body[0], tensor, loops, out);
      loops.pop_back();
      return ok;
    }
    case StmtKind::Store:
      if (s->buffer.get() == tensor) return false;
      for (const auto& i : s->indices) collect_loads(i, tensor, loops, out);
      collect_loads(s->value, tensor, loops, out);
      return true;
    case StmtKind::IfThenElse: collect_loads(s->condition, tensor, loops, out); break;
    case StmtKind::Allocate:
      if (s->buffer.get() == tensor) return false;
      break;
    case StmtKind::Seq:
    case StmtKind::Sync: break;
  }
  for (const auto& b : s->body)
    if (!collect_accesses(b, tensor, loops, out)) return false;
  return true;
}

}  // namespace

std::optional<RewrittenLayout> rewrite_input_layout(const LoweredFunc& f, int input) {
  if (input < 0 || input >= static_cast<int>(f.params.size())) return std::nullopt;
  const ir::OpRef& original = f.params[input];
  if (!original->is_placeholder()) return std::nullopt;

  std::vector<Access> accesses;
  LoopStack loops;
  if (!collect_accesses(f.body, original.get(), loops, accesses) || accesses.empty()) return std::nullopt;
  auto same_indices = [&](const Access& a) {
    const auto& first = accesses[0].indices;
    if (a.indices.size() != first.size()) return false;
    for (size_t d = 0; d < first.size(); ++d)
      if (!ir::structural_equal(a.indices[d], first[d])) return false;
    return true;
  };
  if (!std::all_of(accesses.begin(), accesses.end(), same_indices)) return std::nullopt;
  auto dims = mixed_radix_terms(accesses[0].indices, accesses[0].loops, original->shape);
  if (!dims) return std::nullopt;

  // The new dimensions: the indexing digits, outermost first.
  std::vector<Term> order = in_loop_order(*dims);
  if (visits_in_original_order(order)) return std::nullopt;
  std::vector<int64_t> shape;
  std::vector<Expr> new_indices;
  for (const Term& t : order) {
    shape.push_back(t.axis.extent);
    new_indices.push_back(t.axis.value());
  }
  ir::OpRef rewritten = ir::placeholder(shape, original->name + "_rewritten").op();

  RewrittenLayout out;
  out.input = input;
  out.kernel = f;
  out.kernel.params[input] = rewritten;
  out.kernel.body = map_exprs(f.body, [&](const Expr& e) {
    return ir::rewrite(e, [&](const Expr& x) {
      return x->kind == ir::ExprKind::Load && x->tensor == original ? ir::load(rewritten, new_indices) : x;
    });
  });

  // pack: rewritten[p0, p1, ...] = original[each dimension's index in the p's].
  std::vector<Expr> pack_vars;
  for (size_t k = 0; k < order.size(); ++k) pack_vars.push_back(ir::var("p" + std::to_string(k)));
  auto pack_var_of = [&](const Digit& digit) {
    auto it = std::find_if(order.begin(), order.end(), [&](const Term& t) { return t.axis.digit == digit; });
    return pack_vars[it - order.begin()];
  };
  std::vector<Expr> original_indices;
  for (const auto& terms : *dims) {
    Expr index = ir::int_imm(0);
    for (const Term& t : terms) index = index + pack_var_of(t.axis.digit) * ir::int_imm(t.coefficient);
    original_indices.push_back(ir::simplify(index));
  }
  Stmt pack = make_store(rewritten, pack_vars, ir::load(original, original_indices));
  for (size_t k = order.size(); k-- > 0;) pack = make_for(pack_vars[k], order[k].axis.extent, ForKind::Serial, pack);
  out.pack = {f.name + "_pack" + std::to_string(input), {original, rewritten}, pack};
  return out;
}

std::vector<LoweredFunc> Program::funcs() const {
  std::vector<LoweredFunc> all = {kernel};
  all.insert(all.end(), packs.begin(), packs.end());
  return all;
}

Program lower_with_layout_rewrite(const schedule::State& state, const std::string& name,
                                  LayoutRewrites rewrites) {
  Program p;
  p.kernel = lower_state(state, name);
  if (rewrites.accumulators) p.kernel = reorder_local_accumulators(p.kernel);
  if (!rewrites.weights) return p;
  for (int input : state.dag().layout_free_inputs()) {
    auto r = rewrite_input_layout(p.kernel, input);
    if (!r) continue;
    p.kernel = std::move(r->kernel);
    p.packs.push_back(std::move(r->pack));
    p.packed_inputs.push_back(input);
  }
  return p;
}

}  // namespace bcd::lower
