#include "lower/layout_rewrite.h"

#include <algorithm>
#include <functional>
#include <map>

#include "ir/expr_functor.h"
#include "ir/simplify.h"
#include "ir/tensor.h"
#include "lower/lower.h"

namespace bcd::lower {

namespace {

struct Loop {
  Expr var;
  int64_t extent = 0;
  int depth = 0;  // 0 for the outermost loop
};
using LoopStack = std::vector<Loop>;

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

// A digit of a loop variable: floormod(floordiv(var, divisor), modulus), modulus 0
// meaning none. A plain loop variable is (var, 1, 0); a fused loop's parts are
// digits of the fused variable (floordiv(f, 4) and floormod(f, 4)).
struct Digit {
  const ir::ExprNode* var = nullptr;
  int64_t divisor = 1;
  int64_t modulus = 0;
  auto operator<=>(const Digit&) const = default;
};

std::optional<Digit> digit_of(const Expr& e) {
  int64_t c = 0;
  if (e->kind == ir::ExprKind::Var) return Digit{e.get(), 1, 0};
  if ((e->kind != ir::ExprKind::FloorDiv && e->kind != ir::ExprKind::FloorMod) ||
      !ir::is_const_int(e->operands[1], &c) || c <= 0)
    return std::nullopt;
  auto inner = digit_of(e->operands[0]);
  if (!inner || inner->modulus != 0) return std::nullopt;
  if (e->kind == ir::ExprKind::FloorDiv) inner->divisor *= c;
  else inner->modulus = c;
  return inner;
}

// An index as sum(coefficient * digit) + constant; false for anything else.
struct Affine {
  std::map<Digit, int64_t> coefficients;
  int64_t constant = 0;
};

bool decompose(const Expr& e, int64_t scale, Affine& out) {
  int64_t c = 0;
  switch (e->kind) {
    case ir::ExprKind::IntImm: out.constant += scale * e->int_value; return true;
    case ir::ExprKind::Add: return decompose(e->operands[0], scale, out) && decompose(e->operands[1], scale, out);
    case ir::ExprKind::Sub: return decompose(e->operands[0], scale, out) && decompose(e->operands[1], -scale, out);
    case ir::ExprKind::Mul:
      if (ir::is_const_int(e->operands[1], &c)) return decompose(e->operands[0], scale * c, out);
      if (ir::is_const_int(e->operands[0], &c)) return decompose(e->operands[1], scale * c, out);
      return false;
    default:
      if (auto d = digit_of(e)) {
        out.coefficients[*d] += scale;
        return true;
      }
      return false;
  }
}

// A dimension of the rewritten tensor: one digit of a loop around the access.
struct Axis {
  Digit digit;
  Expr var;            // the loop's variable
  int depth = 0;       // of the loop
  int64_t extent = 0;  // values the digit takes
  Expr value() const {
    Expr e = var;
    if (digit.divisor != 1) e = ir::floordiv(e, ir::int_imm(digit.divisor));
    if (digit.modulus != 0) e = ir::floormod(e, ir::int_imm(digit.modulus));
    return e;
  }
  // Outer loops first; within a loop, the digit of the larger divisor first.
  bool operator<(const Axis& o) const {
    return depth != o.depth ? depth < o.depth : digit.divisor > o.digit.divisor;
  }
};

struct Term {
  Axis axis;
  int64_t coefficient = 0;
  int dim = 0;  // of the original tensor
};

// The digits that index each dimension, with their coefficients, when every
// dimension is an exact mixed-radix sum of its digits (the digits' box has exactly
// the shape's elements and every index stays in bounds), no digit in two dimensions.
std::optional<std::vector<std::vector<Term>>> mixed_radix_terms(const Access& a, const std::vector<int64_t>& shape) {
  if (a.indices.size() != shape.size()) return std::nullopt;
  std::vector<std::vector<Term>> dims(shape.size());
  std::vector<Digit> used;
  for (size_t d = 0; d < shape.size(); ++d) {
    Affine affine;
    if (!decompose(a.indices[d], 1, affine) || affine.constant != 0) return std::nullopt;
    for (auto [digit, coefficient] : affine.coefficients) {
      if (coefficient == 0) continue;
      auto loop = std::find_if(a.loops.begin(), a.loops.end(), [&](const Loop& l) { return l.var.get() == digit.var; });
      if (loop == a.loops.end() || std::find(used.begin(), used.end(), digit) != used.end()) return std::nullopt;
      used.push_back(digit);
      int64_t extent = digit.modulus ? digit.modulus : (loop->extent + digit.divisor - 1) / digit.divisor;
      // A loop of extent 1 (lowering keeps them, e.g. the outer tiles of a stage
      // computed inside its consumer's tile) is always 0: it indexes nothing.
      if (extent == 1) continue;
      dims[d].push_back({{digit, loop->var, loop->depth, extent}, coefficient, static_cast<int>(d)});
    }
    std::sort(dims[d].begin(), dims[d].end(),
              [](const Term& x, const Term& y) {
                return x.coefficient != y.coefficient ? x.coefficient < y.coefficient : x.axis < y.axis;
              });
    int64_t stride = 1;
    for (const Term& t : dims[d]) {
      if (t.coefficient != stride) return std::nullopt;
      stride *= t.axis.extent;
    }
    if (stride != shape[d]) return std::nullopt;
  }
  return dims;
}

// The statement with every expression passed through `fn`.
Stmt map_exprs(const Stmt& s, const std::function<Expr(const Expr&)>& fn) {
  auto n = std::make_shared<StmtNode>(*s);
  if (s->kind == StmtKind::Store) {
    for (auto& i : n->indices) i = fn(i);
    n->value = fn(n->value);
  }
  if (s->kind == StmtKind::IfThenElse) n->condition = fn(n->condition);
  for (auto& b : n->body) b = map_exprs(b, fn);
  return n;
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
  auto dims = mixed_radix_terms(accesses[0], original->shape);
  if (!dims) return std::nullopt;

  // The new dimensions: the indexing digits, outermost first.
  std::vector<Term> order;
  for (const auto& terms : *dims) order.insert(order.end(), terms.begin(), terms.end());
  std::sort(order.begin(), order.end(), [](const Term& x, const Term& y) { return x.axis < y.axis; });
  // Loops that visit the dimensions in order, each one's digits most significant
  // first, already read the original layout in order: nothing to rewrite.
  auto in_original_order = [](const Term& x, const Term& y) {
    return x.dim != y.dim ? x.dim < y.dim : x.coefficient > y.coefficient;
  };
  if (std::is_sorted(order.begin(), order.end(), in_original_order)) return std::nullopt;
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

Program lower_with_layout_rewrite(const schedule::State& state, const std::string& name) {
  Program p;
  p.kernel = lower_state(state, name);
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
