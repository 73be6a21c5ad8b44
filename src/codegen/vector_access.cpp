#include "codegen/vector_access.h"

#include "ir/expr_functor.h"

namespace bcd::codegen::detail {

using ir::Expr;
using ir::ExprKind;

bool is_multiple_of(const Expr& e, int64_t n) {
  const auto& o = e->operands;
  switch (e->kind) {
    case ExprKind::IntImm: return e->int_value % n == 0;
    case ExprKind::Add:
    case ExprKind::Sub:
    case ExprKind::Min:
    case ExprKind::Max: return is_multiple_of(o[0], n) && is_multiple_of(o[1], n);
    case ExprKind::Mul: return is_multiple_of(o[0], n) || is_multiple_of(o[1], n);
    case ExprKind::Select: return is_multiple_of(o[1], n) && is_multiple_of(o[2], n);
    // a mod m, with both multiples of n, is a - m * floor(a / m): a multiple of n.
    case ExprKind::FloorMod: return is_multiple_of(o[0], n) && is_multiple_of(o[1], n);
    default: return false;
  }
}

std::optional<Expr> contiguous_base(const Expr& index, const Expr& v, const ir::RangeMap& ranges) {
  if (!ir::uses_var(index, v)) return std::nullopt;
  Expr base = ir::simplify(ir::substitute(index, {{v.get(), ir::int_imm(0)}}), ranges);
  if (!ir::structural_equal(ir::simplify(index - base, ranges), v)) return std::nullopt;
  return base;
}

namespace {

// The loads `value` always evaluates (not under a select's branches), and the
// others. Indices are integer expressions: a load inside one is not a float access
// of this store and is left to the scalar lanes.
void collect_loads(const Expr& e, bool conditional, std::vector<Expr>& always, std::vector<Expr>& sometimes) {
  if (e->kind == ExprKind::Load) {
    (conditional ? sometimes : always).push_back(e);
    return;
  }
  for (size_t i = 0; i < e->operands.size(); ++i)
    collect_loads(e->operands[i], conditional || (e->kind == ExprKind::Select && i > 0), always, sometimes);
}

}  // namespace

VectorPlan plan_vector_access(const lower::StmtNode& store, const Expr& v, int64_t extent,
                              const ir::RangeMap& ranges, const FlatIndex& flat,
                              const std::function<bool(const ir::OpNode*)>& vector_memory) {
  std::vector<Expr> always, sometimes;
  collect_loads(store.value, false, always, sometimes);
  const ir::OpNode* stored = store.buffer.get();
  const Expr store_index = flat(stored, store.indices);
  // Contiguous in v and aligned to `lanes` elements.
  auto vector_index = [&](const Expr& index, int lanes) {
    const std::optional<Expr> base = contiguous_base(index, v, ranges);
    return base && is_multiple_of(*base, lanes);
  };
  for (int lanes : {4, 2}) {
    if (extent % lanes != 0) continue;
    VectorPlan plan{.lanes = lanes};
    // Loads of the stored buffer that read another lane's element (or one element
    // for all lanes) must see the stores in order: the store stays scalar.
    bool store_alone = true;
    for (const Expr& l : always)
      if (l->tensor.get() == stored && !ir::structural_equal(flat(stored, l->operands), store_index))
        store_alone = false;
    for (const Expr& l : sometimes)
      if (l->tensor.get() == stored) store_alone = false;
    plan.vector_store = store_alone && vector_memory(stored) && vector_index(store_index, lanes);
    for (const Expr& l : always) {
      const ir::OpNode* b = l->tensor.get();
      if (!vector_memory(b)) continue;
      const Expr index = flat(b, l->operands);
      if (b == stored && !ir::structural_equal(index, store_index)) continue;
      if (vector_index(index, lanes)) plan.vector_loads.push_back(l);
    }
    if (plan.vector_store || !plan.vector_loads.empty()) return plan;
  }
  return {};
}

}  // namespace bcd::codegen::detail
