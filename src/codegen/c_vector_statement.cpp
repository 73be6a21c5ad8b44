#include "codegen/c_vector_statement.h"

#include <fmt/format.h>

#include "ir/expr_functor.h"

namespace bcd::codegen::detail {

using ir::Expr;
using ir::ExprKind;

// Not 3: clang reads and writes a vector of 3 as one of 4 (OpenCL's rule), past the
// last lane. Not 4: a quarter vector, which the loop vectorizer handles as well.
bool wants_vector_statement(int64_t extent) { return extent >= 5 && extent <= 64; }

std::string vector_type_name(int64_t lanes) { return fmt::format("bcd_v{}", lanes); }

std::string vector_type_definition(int64_t lanes) {
  const std::string t = vector_type_name(lanes);
  // aligned(4): the vectors start at any float; may_alias: they are read and
  // written through float buffers.
  return fmt::format(
      "typedef float {0} __attribute__((ext_vector_type({1}), aligned(4), may_alias));\n"
      "static inline {0} bcd_minf_{1}({0} a, {0} b) {{ return a < b ? a : b; }}\n"
      "static inline {0} bcd_maxf_{1}({0} a, {0} b) {{ return a > b ? a : b; }}\n",
      t, lanes);
}

namespace {

class VectorPrinter {
 public:
  VectorPrinter(const Expr& v, int64_t lanes, const ir::RangeMap& ranges, const FlatIndex& flat,
                const std::function<std::string(const Expr&)>& scalar,
                const std::function<std::string(const ir::OpNode*)>& name)
      : v_(v), lanes_(lanes), type_(vector_type_name(lanes)), ranges_(ranges), flat_(flat), scalar_(scalar),
        name_(name) {}

  // `buffer[base + v]` for the lanes, or nullopt where the index is not contiguous.
  std::optional<std::string> access(const ir::OpNode* buffer, const std::vector<Expr>& indices) const {
    const std::optional<Expr> base = contiguous_base(flat_(buffer, indices), v_, ranges_);
    if (!base) return std::nullopt;
    return fmt::format("(*({}*)&{}[{}])", type_, name_(buffer), scalar_(*base));
  }

  // The vector value of `e`, or nullopt where it is not one of the forms above.
  std::optional<std::string> value(const Expr& e) const {
    if (!ir::uses_var(e, v_)) return fmt::format("(({}){})", type_, scalar_(e));  // the same for every lane
    const auto& o = e->operands;
    // `pattern` with the vector values of both operands, where they have them.
    auto binary = [&](const std::string& pattern) -> std::optional<std::string> {
      auto a = value(o[0]), b = value(o[1]);
      if (!a || !b) return std::nullopt;
      return fmt::format(fmt::runtime(pattern), *a, *b);
    };
    if (e->dtype != ir::DType::Float) return std::nullopt;  // lane-varying integers live in indices only
    switch (e->kind) {
      case ExprKind::Load: return access(e->tensor.get(), o);
      case ExprKind::Add: return binary("({} + {})");
      case ExprKind::Sub: return binary("({} - {})");
      case ExprKind::Mul: return binary("({} * {})");
      case ExprKind::Div: return binary("({} / {})");
      case ExprKind::Min: return binary(fmt::format("bcd_minf_{}({{}}, {{}})", lanes_));
      case ExprKind::Max: return binary(fmt::format("bcd_maxf_{}({{}}, {{}})", lanes_));
      case ExprKind::Select: {
        if (ir::uses_var(o[0], v_)) return std::nullopt;
        auto a = value(o[1]), b = value(o[2]);
        if (!a || !b) return std::nullopt;
        return fmt::format("({} ? {} : {})", scalar_(o[0]), *a, *b);
      }
      default: return std::nullopt;
    }
  }

 private:
  const Expr& v_;
  int64_t lanes_;
  std::string type_;
  const ir::RangeMap& ranges_;
  const FlatIndex& flat_;
  const std::function<std::string(const Expr&)>& scalar_;
  const std::function<std::string(const ir::OpNode*)>& name_;
};

}  // namespace

std::optional<std::string> print_vector_statement(const lower::StmtNode& store, const Expr& v, int64_t extent,
                                                  const ir::RangeMap& ranges, const FlatIndex& flat,
                                                  const std::function<std::string(const Expr&)>& scalar,
                                                  const std::function<std::string(const ir::OpNode*)>& name) {
  const ir::OpNode* stored = store.buffer.get();
  const Expr store_index = flat(stored, store.indices);
  bool reads_other_lanes = false;
  ir::visit(store.value, [&](const Expr& e) {
    if (e->kind == ExprKind::Load && e->tensor.get() == stored)
      reads_other_lanes = reads_other_lanes || !ir::structural_equal(flat(stored, e->operands), store_index);
    return true;
  });
  if (reads_other_lanes) return std::nullopt;
  VectorPrinter printer(v, extent, ranges, flat, scalar, name);
  std::optional<std::string> target = printer.access(stored, store.indices);
  std::optional<std::string> value = printer.value(store.value);
  if (!target || !value) return std::nullopt;
  return fmt::format("{} = {};", *target, *value);
}

}  // namespace bcd::codegen::detail
