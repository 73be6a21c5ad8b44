// Interval analysis and the integer simplifier.
//
// The simplifier works bottom-up. Integer +, - and * by constants are flattened into
// a linear form (sum of coefficient*term plus a constant) and re-emitted in one
// canonical shape, so equal terms meet and cancel. floordiv/floormod by constants
// split that linear form around the divisor and ask the interval analysis whether
// what is left stays inside one period. Everything else is constant folding or a
// decision by intervals.
//
// Unbounded interval ends are the sentinels INT64_MIN/INT64_MAX; all interval
// arithmetic saturates to them so that an unknown variable never causes overflow.
#include "ir/simplify.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "ir/expr_functor.h"

namespace bcd::ir {

namespace {

constexpr int64_t kNegInf = std::numeric_limits<int64_t>::min();
constexpr int64_t kPosInf = std::numeric_limits<int64_t>::max();

// --- saturating scalar arithmetic on interval ends ---------------------------------

bool is_inf(int64_t v) { return v == kNegInf || v == kPosInf; }
int sign(int64_t v) { return (v > 0) - (v < 0); }

// -inf + +inf has no answer; the caller says which end it is computing, and that
// end's own infinity is always a sound answer.
int64_t sat_add(int64_t a, int64_t b, int64_t on_conflict) {
  bool neg = a == kNegInf || b == kNegInf, pos = a == kPosInf || b == kPosInf;
  if (neg && pos) return on_conflict;
  if (neg) return kNegInf;
  if (pos) return kPosInf;
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return a > 0 ? kPosInf : kNegInf;
  return r;
}

int64_t sat_neg(int64_t v) {
  if (v == kNegInf) return kPosInf;
  if (v == kPosInf) return kNegInf;
  return -v;
}

// 0 * inf is 0: an unbounded variable times zero is still zero.
int64_t sat_mul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  int64_t r;
  if (is_inf(a) || is_inf(b) || __builtin_mul_overflow(a, b, &r))
    return sign(a) * sign(b) > 0 ? kPosInf : kNegInf;
  return r;
}

// Floor division and its remainder (sign of the divisor). Callers exclude b == 0 and
// INT64_MIN / -1.
int64_t fdiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t fmod(int64_t a, int64_t b) {
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

// Division of an interval end by a finite non-zero divisor.
int64_t sat_fdiv(int64_t a, int64_t b) {
  if (is_inf(a)) return sign(a) * sign(b) > 0 ? kPosInf : kNegInf;
  return fdiv(a, b);
}

// --- intervals ----------------------------------------------------------------------

Interval unbounded() { return {kNegInf, kPosInf}; }
Interval bool_range() { return {0, 1}; }
bool finite(const Interval& a) { return !is_inf(a.min) && !is_inf(a.max); }

Interval iv_add(const Interval& a, const Interval& b) {
  return {sat_add(a.min, b.min, kNegInf), sat_add(a.max, b.max, kPosInf)};
}
Interval iv_neg(const Interval& a) { return {sat_neg(a.max), sat_neg(a.min)}; }
Interval iv_sub(const Interval& a, const Interval& b) { return iv_add(a, iv_neg(b)); }

// Multiplication is monotone in each argument on each sign region, so the extremes
// are among the four corner products.
Interval iv_mul(const Interval& a, const Interval& b) {
  int64_t c[4] = {sat_mul(a.min, b.min), sat_mul(a.min, b.max), sat_mul(a.max, b.min),
                  sat_mul(a.max, b.max)};
  return {*std::min_element(c, c + 4), *std::max_element(c, c + 4)};
}

Interval iv_scale(const Interval& a, int64_t k) { return iv_mul(a, Interval::point(k)); }

// x/y over a box where y keeps one sign takes its extremes at the corners, and
// floor is monotone, so corners bound floordiv too.
Interval iv_floordiv(const Interval& a, const Interval& b) {
  if (!finite(b) || (b.min <= 0 && b.max >= 0)) return unbounded();
  int64_t c[4] = {sat_fdiv(a.min, b.min), sat_fdiv(a.min, b.max), sat_fdiv(a.max, b.min),
                  sat_fdiv(a.max, b.max)};
  return {*std::min_element(c, c + 4), *std::max_element(c, c + 4)};
}

Interval iv_floormod(const Interval& a, const Interval& b) {
  if (b.is_point() && !is_inf(b.min) && b.min != 0 && finite(a) &&
      fdiv(a.min, b.min) == fdiv(a.max, b.min)) {
    // Within one period the remainder is x minus a fixed multiple of the divisor.
    return {fmod(a.min, b.min), fmod(a.max, b.min)};
  }
  if (b.min > 0) {
    Interval r{0, sat_add(b.max, -1, kPosInf)};
    if (a.min >= 0) r.max = std::min(r.max, a.max);
    return r;
  }
  if (b.max < 0) {
    Interval r{sat_add(b.min, 1, kNegInf), 0};
    if (a.max <= 0) r.min = std::max(r.min, a.min);
    return r;
  }
  return unbounded();
}

Interval iv_union(const Interval& a, const Interval& b) {
  return {std::min(a.min, b.min), std::max(a.max, b.max)};
}

// Truth of a comparison from the interval of (lhs - rhs): 1, 0, or -1 when undecided.
int decide_compare(ExprKind kind, const Interval& d) {
  switch (kind) {
    case ExprKind::LT: return d.max < 0 ? 1 : d.min >= 0 ? 0 : -1;
    case ExprKind::LE: return d.max <= 0 ? 1 : d.min > 0 ? 0 : -1;
    case ExprKind::GT: return d.min > 0 ? 1 : d.max <= 0 ? 0 : -1;
    case ExprKind::GE: return d.min >= 0 ? 1 : d.max < 0 ? 0 : -1;
    case ExprKind::EQ: return (d.min == 0 && d.max == 0) ? 1 : (d.min > 0 || d.max < 0) ? 0 : -1;
    case ExprKind::NE: return (d.min == 0 && d.max == 0) ? 0 : (d.min > 0 || d.max < 0) ? 1 : -1;
    default: return -1;
  }
}

Interval truth_interval(int decided) {
  return decided < 0 ? bool_range() : Interval::point(decided);
}

// !(a < b) is (a >= b) for integers (not for floats, because of NaN).
ExprKind negate_compare(ExprKind k) {
  switch (k) {
    case ExprKind::LT: return ExprKind::GE;
    case ExprKind::LE: return ExprKind::GT;
    case ExprKind::GT: return ExprKind::LE;
    case ExprKind::GE: return ExprKind::LT;
    case ExprKind::EQ: return ExprKind::NE;
    default: return ExprKind::EQ;
  }
}

// a < b is b > a.
ExprKind mirror_compare(ExprKind k) {
  switch (k) {
    case ExprKind::LT: return ExprKind::GT;
    case ExprKind::LE: return ExprKind::GE;
    case ExprKind::GT: return ExprKind::LT;
    case ExprKind::GE: return ExprKind::LE;
    default: return k;
  }
}

// An integer-valued literal (bool literals count as 0/1).
bool int_const(const Expr& e, int64_t* v) {
  if (e->kind != ExprKind::IntImm) return false;
  *v = e->int_value;
  return true;
}

bool float_const(const Expr& e, double* v) {
  if (e->kind != ExprKind::FloatImm) return false;
  *v = e->float_value;
  return true;
}

bool is_int_arith(const Expr& e) { return e->dtype == DType::Int; }

// gcd(|a|, |b|) for a > 0; 1 when |b| does not fit (INT64_MIN), which only gives up
// a reduction.
int64_t gcd_abs(int64_t a, int64_t b) {
  if (b == kNegInf) return 1;
  return std::gcd(a, b < 0 ? -b : b);
}

// --- linear forms -------------------------------------------------------------------

// sum(coef * term) + constant. Terms keep the order in which they first appeared so
// that emitting is deterministic and follows the input. `ok` turns false when a
// coefficient overflows; callers then leave the expression as it was.
struct Linear {
  std::vector<std::pair<Expr, int64_t>> terms;
  int64_t constant = 0;
  bool ok = true;

  void add_const(int64_t c) { ok = ok && !__builtin_add_overflow(constant, c, &constant); }
  void add_term(const Expr& t, int64_t c) {
    for (auto& [term, coef] : terms) {
      if (structural_equal(term, t)) {
        ok = ok && !__builtin_add_overflow(coef, c, &coef);
        return;
      }
    }
    terms.emplace_back(t, c);
  }
  void add(const Linear& o, int64_t scale) {
    ok = ok && o.ok;
    for (const auto& [t, c] : o.terms) {
      int64_t sc = 0;
      ok = ok && !__builtin_mul_overflow(c, scale, &sc);
      add_term(t, sc);
    }
    int64_t sc = 0;
    ok = ok && !__builtin_mul_overflow(o.constant, scale, &sc);
    add_const(sc);
  }
  bool is_const() const {
    return std::all_of(terms.begin(), terms.end(), [](const auto& t) { return t.second == 0; });
  }
};

// Reads an expression as a linear form without simplifying anything: +, - and * by a
// literal are opened, every other node is a term.
void parse_linear(const Expr& e, int64_t scale, Linear& out) {
  int64_t v = 0, s = 0;
  if (int_const(e, &v)) {
    out.ok = out.ok && !__builtin_mul_overflow(scale, v, &s);
    out.add_const(s);
    return;
  }
  if (is_int_arith(e)) {
    const auto& ops = e->operands;
    switch (e->kind) {
      case ExprKind::Add:
        parse_linear(ops[0], scale, out);
        parse_linear(ops[1], scale, out);
        return;
      case ExprKind::Sub:
        parse_linear(ops[0], scale, out);
        out.ok = out.ok && scale != kNegInf;
        parse_linear(ops[1], out.ok ? -scale : 0, out);
        return;
      case ExprKind::Mul:
        for (int i = 0; i < 2; ++i) {
          if (int_const(ops[i], &v)) {
            out.ok = out.ok && !__builtin_mul_overflow(scale, v, &s);
            parse_linear(ops[1 - i], s, out);
            return;
          }
        }
        break;
      default: break;
    }
  }
  out.add_term(e, scale);
}

Linear linear_of(const Expr& e, int64_t scale = 1) {
  Linear l;
  parse_linear(e, scale, l);
  return l;
}

// The difference a - b as a linear form: equal terms cancel before intervals are taken.
Linear difference(const Expr& a, const Expr& b) {
  Linear d = linear_of(a);
  d.add(linear_of(b), -1);
  return d;
}

// Canonical shape: t1*c1 + t2*c2 - t3*c3 ... + constant, in term order, coefficient
// 1 written as the bare term. The result is always an integer.
Expr emit(const Linear& l) {
  Expr acc;
  for (const auto& [t, c] : l.terms) {
    if (c == 0) continue;
    auto scaled = [&](int64_t k) { return k == 1 ? t : make_binary(ExprKind::Mul, t, int_imm(k)); };
    if (!acc)
      acc = scaled(c);
    else if (c > 0 || c == kNegInf)
      acc = make_binary(ExprKind::Add, acc, scaled(c));
    else
      acc = make_binary(ExprKind::Sub, acc, scaled(-c));
  }
  if (!acc) return int_imm(l.constant);
  if (l.constant > 0 || l.constant == kNegInf)
    acc = make_binary(ExprKind::Add, acc, int_imm(l.constant));
  else if (l.constant < 0)
    acc = make_binary(ExprKind::Sub, acc, int_imm(-l.constant));
  // A lone boolean term (x < y) keeps its integer meaning.
  if (acc->dtype != DType::Int) acc = cast(DType::Int, acc);
  return acc;
}

// floordiv(x, c)*(k*c) + floormod(x, c)*k is x*k: undoes a split of a fused index.
void merge_div_mod_pairs(Linear& l) {
  for (bool changed = true; changed && l.ok;) {
    changed = false;
    for (size_t i = 0; i < l.terms.size() && !changed; ++i) {
      const auto [mod, k] = l.terms[i];
      int64_t c;
      if (k == 0 || mod->kind != ExprKind::FloorMod || !int_const(mod->operands[1], &c) || c == 0)
        continue;
      int64_t kc;
      if (__builtin_mul_overflow(k, c, &kc)) continue;
      for (size_t j = 0; j < l.terms.size(); ++j) {
        const auto& [div, kd] = l.terms[j];
        if (kd != kc || div->kind != ExprKind::FloorDiv ||
            !structural_equal(div->operands[0], mod->operands[0]) ||
            !structural_equal(div->operands[1], mod->operands[1]))
          continue;
        l.terms[i].second = 0;
        l.terms[j].second = 0;
        parse_linear(mod->operands[0], k, l);
        changed = true;
        break;
      }
    }
  }
}

// --- interval analysis --------------------------------------------------------------

using Narrowing = std::vector<std::pair<const ExprNode*, Interval>>;

Interval lookup(const ExprNode* v, const RangeMap& ranges, const Narrowing* narrowed = nullptr) {
  if (narrowed) {
    for (const auto& [n, iv] : *narrowed)
      if (n == v) return iv;
  }
  auto it = ranges.find(v);
  if (it != ranges.end()) return it->second;
  return v->dtype == DType::Bool ? bool_range() : unbounded();
}

// What a condition known to be `truth` says about single variables: from
// (v + k) op 0 (after moving everything to one side) a bound on v. Conjunctions
// (and negated disjunctions) contribute every part.
void collect_narrowing(const Expr& cond, bool truth, const RangeMap& ranges, Narrowing& out) {
  const auto& ops = cond->operands;
  if (cond->kind == ExprKind::Not) return collect_narrowing(ops[0], !truth, ranges, out);
  if ((cond->kind == ExprKind::And && truth) || (cond->kind == ExprKind::Or && !truth)) {
    collect_narrowing(ops[0], truth, ranges, out);
    collect_narrowing(ops[1], truth, ranges, out);
    return;
  }
  if (!is_compare(cond->kind) || ops[0]->dtype == DType::Float || ops[1]->dtype == DType::Float)
    return;
  Linear d = difference(ops[0], ops[1]);
  if (!d.ok) return;
  const Expr* v = nullptr;
  int64_t coef = 0;
  for (const auto& [t, c] : d.terms) {
    if (c == 0) continue;
    if (v) return;  // more than one variable: nothing simple to say
    v = &t;
    coef = c;
  }
  if (!v || (*v)->kind != ExprKind::Var || (*v)->dtype != DType::Int || (coef != 1 && coef != -1))
    return;
  // coef*v + k op 0  <=>  v op' m
  ExprKind op = truth ? cond->kind : negate_compare(cond->kind);
  if (d.constant == kNegInf) return;
  int64_t m = -d.constant;
  if (coef == -1) {
    op = mirror_compare(op);
    m = d.constant;
  }
  Interval iv = lookup(v->get(), ranges, &out);
  switch (op) {
    case ExprKind::LT:
      if (m == kNegInf) return;
      iv.max = std::min(iv.max, m - 1);
      break;
    case ExprKind::LE: iv.max = std::min(iv.max, m); break;
    case ExprKind::GT:
      if (m == kPosInf) return;
      iv.min = std::max(iv.min, m + 1);
      break;
    case ExprKind::GE: iv.min = std::max(iv.min, m); break;
    case ExprKind::EQ: iv = {std::max(iv.min, m), std::min(iv.max, m)}; break;
    default: return;
  }
  for (auto& [n, old] : out) {
    if (n == v->get()) {
      old = iv;
      return;
    }
  }
  out.emplace_back(v->get(), iv);
}

// The ranges that hold where `cond` is `truth`. False when there is nothing to narrow,
// or when the narrowed ranges are empty (the branch is dead; keeping the old ranges
// is still sound).
bool narrowed_ranges(const Expr& cond, bool truth, const RangeMap& ranges, RangeMap& out) {
  Narrowing n;
  collect_narrowing(cond, truth, ranges, n);
  if (n.empty()) return false;
  for (const auto& [v, iv] : n)
    if (iv.min > iv.max) return false;
  out = ranges;
  for (const auto& [v, iv] : n) out[v] = iv;
  return true;
}

// Interval of an integer or boolean expression by plain interval arithmetic on its
// tree, without simplifying it first (bound() also tries the simplified form).
Interval raw_bound(const Expr& e, const RangeMap& ranges);

Interval linear_bound(const Linear& l, const RangeMap& ranges) {
  Interval r = Interval::point(l.constant);
  for (const auto& [t, c] : l.terms)
    if (c != 0) r = iv_add(r, iv_scale(raw_bound(t, ranges), c));
  return r;
}

Interval raw_bound(const Expr& e, const RangeMap& ranges) {
  if (e->dtype == DType::Float) return unbounded();
  const auto& ops = e->operands;
  auto sub = [&](size_t i) { return raw_bound(ops[i], ranges); };
  switch (e->kind) {
    case ExprKind::IntImm: return Interval::point(e->int_value);
    case ExprKind::Var: return lookup(e.get(), ranges);
    case ExprKind::Add: return iv_add(sub(0), sub(1));
    case ExprKind::Sub: return iv_sub(sub(0), sub(1));
    case ExprKind::Mul: return iv_mul(sub(0), sub(1));
    case ExprKind::FloorDiv: return iv_floordiv(sub(0), sub(1));
    case ExprKind::FloorMod: return iv_floormod(sub(0), sub(1));
    case ExprKind::Min: {
      Interval a = sub(0), b = sub(1);
      return {std::min(a.min, b.min), std::min(a.max, b.max)};
    }
    case ExprKind::Max: {
      Interval a = sub(0), b = sub(1);
      return {std::max(a.min, b.min), std::max(a.max, b.max)};
    }
    case ExprKind::EQ: case ExprKind::NE: case ExprKind::LT:
    case ExprKind::LE: case ExprKind::GT: case ExprKind::GE:
      if (ops[0]->dtype == DType::Float || ops[1]->dtype == DType::Float) return bool_range();
      return truth_interval(decide_compare(e->kind, iv_sub(sub(0), sub(1))));
    case ExprKind::And: {
      Interval a = sub(0), b = sub(1);
      return {std::min(a.min, b.min) >= 1 ? 1 : 0, std::min(a.max, b.max) >= 1 ? 1 : 0};
    }
    case ExprKind::Or: {
      Interval a = sub(0), b = sub(1);
      return {std::max(a.min, b.min) >= 1 ? 1 : 0, std::max(a.max, b.max) >= 1 ? 1 : 0};
    }
    case ExprKind::Not: {
      Interval a = sub(0);
      return {a.max >= 1 ? 0 : 1, a.min >= 1 ? 0 : 1};
    }
    case ExprKind::Select: {
      Interval c = sub(0);
      // Each branch is only evaluated where the condition says so.
      auto branch = [&](bool truth) {
        RangeMap narrowed;
        const Expr& b = ops[truth ? 1 : 2];
        if (narrowed_ranges(ops[0], truth, ranges, narrowed)) return raw_bound(b, narrowed);
        return raw_bound(b, ranges);
      };
      if (c.min >= 1) return branch(true);
      if (c.max <= 0) return branch(false);
      return iv_union(branch(true), branch(false));
    }
    case ExprKind::Cast: {
      if (ops[0]->dtype == DType::Float) return e->dtype == DType::Bool ? bool_range() : unbounded();
      Interval a = sub(0);
      if (e->dtype == DType::Int) return a;
      // To bool: zero is false, anything else true.
      if (a.min == 0 && a.max == 0) return Interval::point(0);
      if (a.min > 0 || a.max < 0) return Interval::point(1);
      return bool_range();
    }
    default: return e->dtype == DType::Bool ? bool_range() : unbounded();
  }
}

// --- the simplifier -----------------------------------------------------------------

// The literal of a dtype for an integer value (Float only for a folded int cast).
Expr literal(DType dtype, int64_t v) {
  if (dtype == DType::Bool) return bool_imm(v != 0);
  if (dtype == DType::Float) return float_imm(static_cast<double>(v));
  return int_imm(v);
}

// Float folding keeps only finite results: inf/nan literals have no portable source
// form, and keeping the operation leaves the decision to run time.
bool fold_float(ExprKind kind, double a, double b, double* r) {
  switch (kind) {
    case ExprKind::Add: *r = a + b; break;
    case ExprKind::Sub: *r = a - b; break;
    case ExprKind::Mul: *r = a * b; break;
    case ExprKind::Div: *r = a / b; break;
    case ExprKind::Min: *r = std::min(a, b); break;
    case ExprKind::Max: *r = std::max(a, b); break;
    default: return false;
  }
  return std::isfinite(*r);
}

bool fold_call(CallFn fn, const std::vector<double>& x, double* r) {
  switch (fn) {
    case CallFn::Exp: *r = std::exp(x[0]); break;
    case CallFn::Log: *r = std::log(x[0]); break;
    case CallFn::Sqrt: *r = std::sqrt(x[0]); break;
    case CallFn::Tanh: *r = std::tanh(x[0]); break;
    case CallFn::Erf: *r = std::erf(x[0]); break;
    case CallFn::Sigmoid: *r = 1.0 / (1.0 + std::exp(-x[0])); break;
    case CallFn::Abs: *r = std::fabs(x[0]); break;
    case CallFn::Pow:
      if (x.size() < 2) return false;
      *r = std::pow(x[0], x[1]);
      break;
  }
  return std::isfinite(*r);
}

bool compare_values(ExprKind kind, double a, double b) {
  switch (kind) {
    case ExprKind::EQ: return a == b;
    case ExprKind::NE: return a != b;
    case ExprKind::LT: return a < b;
    case ExprKind::LE: return a <= b;
    case ExprKind::GT: return a > b;
    default: return a >= b;
  }
}

class Simplifier {
 public:
  explicit Simplifier(const RangeMap& ranges) : ranges_(ranges) {}

  // Every result keeps the dtype of its input, so parents built by make_binary stay
  // well-typed (an int min(b1, b2) of bools that decides to b1 becomes int(b1)).
  // An unchanged subtree comes back as the same node, so callers (and rewrite())
  // can tell that nothing happened with same_as.
  Expr visit(const Expr& e) {
    Expr r = visit_node(e);
    if (r.same_as(e)) return e;
    if (r->dtype != e->dtype)
      r = r->kind == ExprKind::IntImm ? literal(e->dtype, r->int_value) : cast(e->dtype, r);
    return structural_equal(r, e) ? e : r;
  }

 private:
  const RangeMap& ranges_;

  Interval bound_of(const Expr& e) const { return raw_bound(e, ranges_); }

  Expr visit_node(const Expr& e) {
    switch (e->kind) {
      case ExprKind::IntImm:
      case ExprKind::FloatImm: return e;
      case ExprKind::Var: {
        // A variable pinned to one value (a loop of extent 1) is that value.
        auto it = ranges_.find(e.get());
        if (e->dtype != DType::Float && it != ranges_.end() && it->second.is_point())
          return literal(e->dtype, it->second.min);
        return e;
      }
      case ExprKind::Select: return visit_select(e);
      case ExprKind::Reduce: return visit_reduce(e);
      case ExprKind::Add:
      case ExprKind::Sub:
        if (is_int_arith(e)) return visit_linear(e);
        break;
      default: break;
    }
    std::vector<Expr> ops;
    ops.reserve(e->operands.size());
    bool changed = false;
    for (const auto& op : e->operands) {
      ops.push_back(visit(op));
      changed |= !ops.back().same_as(op);
    }
    Expr n = changed ? with_operands(e, ops) : e;
    switch (e->kind) {
      case ExprKind::Mul: return is_int_arith(e) ? visit_mul(n) : fold_float_binary(n);
      case ExprKind::Add: case ExprKind::Sub: case ExprKind::Div: return fold_float_binary(n);
      case ExprKind::FloorDiv: case ExprKind::FloorMod: return visit_divmod(n);
      case ExprKind::Min: case ExprKind::Max:
        return is_int_arith(e) ? visit_minmax(n) : fold_float_binary(n);
      case ExprKind::EQ: case ExprKind::NE: case ExprKind::LT:
      case ExprKind::LE: case ExprKind::GT: case ExprKind::GE: return visit_compare(n);
      case ExprKind::And: case ExprKind::Or: case ExprKind::Not: return visit_logic(n);
      case ExprKind::Cast: return visit_cast(n);
      case ExprKind::Call: return visit_call(n);
      default: return n;  // Load, and anything without rules: simplified operands only
    }
  }

  // Opens a chain of integer +/- directly, so that long sums are read once; every
  // other node is simplified on its own and then read as a linear form.
  void collect(const Expr& e, int64_t scale, Linear& out) {
    if (is_int_arith(e) && (e->kind == ExprKind::Add || e->kind == ExprKind::Sub)) {
      collect(e->operands[0], scale, out);
      if (e->kind == ExprKind::Sub) {
        out.ok = out.ok && scale != kNegInf;
        scale = out.ok ? -scale : 0;
      }
      collect(e->operands[1], scale, out);
      return;
    }
    parse_linear(visit(e), scale, out);
  }

  Expr visit_linear(const Expr& e) {
    Linear l;
    collect(e, 1, l);
    merge_div_mod_pairs(l);
    if (l.ok) return emit(l);
    return with_operands(e, {visit(e->operands[0]), visit(e->operands[1])});
  }

  Expr visit_mul(const Expr& n) {
    int64_t c;
    for (int i = 0; i < 2; ++i) {
      if (int_const(n->operands[i], &c)) {
        Linear l = linear_of(n->operands[1 - i], c);
        if (l.ok) return emit(l);
      }
    }
    return n;
  }

  Expr fold_float_binary(const Expr& n) {
    double a, b, r;
    const auto& ops = n->operands;
    if (float_const(ops[0], &a) && float_const(ops[1], &b) && fold_float(n->kind, a, b, &r))
      return float_imm(r);
    // x*1 and x/1 are exact in IEEE arithmetic (nan and inf included).
    if ((n->kind == ExprKind::Mul || n->kind == ExprKind::Div) && float_const(ops[1], &b) && b == 1.0)
      return ops[0];
    if (n->kind == ExprKind::Mul && float_const(ops[0], &a) && a == 1.0) return ops[1];
    return n;
  }

  Expr visit_divmod(const Expr& n) {
    bool is_div = n->kind == ExprKind::FloorDiv;
    const Expr& a = n->operands[0];
    int64_t c, x;
    // Division by zero or by a non-constant has no rules; INT64_MIN/-1 overflows.
    if (!int_const(n->operands[1], &c) || c == 0 || c == kNegInf) return n;
    if (int_const(a, &x)) {
      if (x == kNegInf && c == -1) return n;
      return int_imm(is_div ? fdiv(x, c) : fmod(x, c));
    }
    if (c == 1 || c == -1) {
      if (!is_div) return int_imm(0);
      Linear l = linear_of(a, c);
      return l.ok ? emit(l) : n;
    }
    int64_t inner, prod;
    // floor(floor(x/a)/b) == floor(x/(a*b)) for integer b > 0 and any a != 0.
    if (is_div && c > 0 && a->kind == ExprKind::FloorDiv && int_const(a->operands[1], &inner) &&
        inner != 0 && !__builtin_mul_overflow(inner, c, &prod) && prod != kNegInf)
      return visit_divmod(floordiv(a->operands[0], int_imm(prod)));
    // x mod (k*c) mod c == x mod c: the outer modulus divides the inner one.
    if (!is_div && a->kind == ExprKind::FloorMod && int_const(a->operands[1], &inner) &&
        inner != 0 && inner % c == 0)
      return visit_divmod(floormod(a->operands[0], n->operands[1]));

    Linear l = linear_of(a);
    if (!l.ok) return n;
    // floordiv(q*c + r, c) == q + floordiv(r, c), floormod(q*c + r, c) == floormod(r, c)
    // for every integer q and r under floor semantics, whatever the sign of c.
    Linear quot, rem;
    bool split = false;
    for (const auto& [t, k] : l.terms) {
      if (k == 0) continue;
      if (k % c == 0) {
        quot.add_term(t, k / c);
        split = true;
      } else {
        rem.add_term(t, k);
      }
    }
    // The constant keeps a remainder in [0, |c|) whatever the sign of c, so that
    // floordiv(x + 1, -3) stays as it is.
    int64_t period = c < 0 ? -c : c, r = fmod(l.constant, period), q_times_c;
    if (__builtin_sub_overflow(l.constant, r, &q_times_c)) return n;
    quot.add_const(q_times_c / c);
    rem.add_const(r);
    split |= quot.constant != 0;
    // floordiv(g*r, g*c) == floordiv(r, c) and floormod(g*r, g*c) == g*floormod(r, c).
    int64_t g = c < 0 ? -c : c;
    for (const auto& [t, k] : rem.terms) g = gcd_abs(g, k);
    g = gcd_abs(g, rem.constant);
    if (g > 1) {
      for (auto& [t, k] : rem.terms) k /= g;
      rem.constant /= g;
      c /= g;
      split = true;
    }
    // When what is left stays inside one period [k*c, (k+1)*c), the quotient is k.
    Interval rb = linear_bound(rem, ranges_);
    Linear result;
    if (finite(rb) && fdiv(rb.min, c) == fdiv(rb.max, c)) {
      int64_t k = fdiv(rb.min, c);
      if (is_div) {
        result = quot;
        result.add_const(k);
      } else {
        Linear offset;
        offset.add_const(k);
        result.add(rem, 1);
        result.add(offset, -c);
        Linear scaled;
        scaled.add(result, g);
        result = scaled;
      }
    } else if (c == 1 || c == -1) {
      if (is_div) {
        result = quot;
        result.add(rem, c);
      }  // else the remainder is 0
    } else {
      if (!split) return n;
      // What is left can meet the rules that need a bare operand (nested divisions).
      Expr inner_e = visit_divmod(make_binary(n->kind, emit(rem), int_imm(c)));
      if (is_div) {
        result = quot;
        parse_linear(inner_e, 1, result);
      } else {
        parse_linear(inner_e, g, result);
      }
    }
    return result.ok ? emit(result) : n;
  }

  Expr visit_minmax(const Expr& n) {
    const Expr& a = n->operands[0];
    const Expr& b = n->operands[1];
    bool is_min = n->kind == ExprKind::Min;
    int64_t x, y;
    if (int_const(a, &x) && int_const(b, &y)) return int_imm(is_min ? std::min(x, y) : std::max(x, y));
    Interval d = difference_bound(a, b);
    if (d.max <= 0) return is_min ? a : b;  // a <= b everywhere
    if (d.min >= 0) return is_min ? b : a;
    return n;
  }

  // Interval of a - b; through the linear form first, so that x+1 - x is exactly 1.
  Interval difference_bound(const Expr& a, const Expr& b) const {
    Linear d = difference(a, b);
    if (d.ok) return linear_bound(d, ranges_);
    return iv_sub(bound_of(a), bound_of(b));
  }

  Expr visit_compare(const Expr& n) {
    const Expr& a = n->operands[0];
    const Expr& b = n->operands[1];
    double fa, fb;
    if (a->dtype == DType::Float || b->dtype == DType::Float) {
      if (float_const(a, &fa) && float_const(b, &fb))
        return bool_imm(compare_values(n->kind, fa, fb));
      return n;
    }
    int decided = decide_compare(n->kind, difference_bound(a, b));
    return decided < 0 ? n : bool_imm(decided == 1);
  }

  Expr visit_logic(const Expr& n) {
    const auto& ops = n->operands;
    int64_t v;
    if (n->kind == ExprKind::Not) {
      const Expr& x = ops[0];
      if (int_const(x, &v)) return bool_imm(v == 0);
      if (x->kind == ExprKind::Not) return x->operands[0];
      if (is_compare(x->kind) && x->operands[0]->dtype != DType::Float &&
          x->operands[1]->dtype != DType::Float)
        return make_binary(negate_compare(x->kind), x->operands[0], x->operands[1]);
      return n;
    }
    bool is_and = n->kind == ExprKind::And;
    for (int i = 0; i < 2; ++i) {
      if (!int_const(ops[i], &v)) continue;
      // true && x == x, false && x == false; dually for ||.
      if ((v != 0) == is_and) return ops[1 - i];
      return bool_imm(!is_and);
    }
    if (structural_equal(ops[0], ops[1])) return ops[0];
    return n;
  }

  Expr visit_cast(const Expr& n) {
    const Expr& x = n->operands[0];
    if (x->dtype == n->dtype) return x;
    int64_t v;
    double f;
    if (int_const(x, &v)) return literal(n->dtype, v);
    if (float_const(x, &f)) {
      if (n->dtype == DType::Bool) return bool_imm(f != 0.0);
      // To int truncates toward zero, as the C cast the code generator emits.
      if (std::isfinite(f) && std::fabs(f) < 9.0e18) return int_imm(static_cast<int64_t>(f));
    }
    return n;
  }

  Expr visit_call(const Expr& n) {
    std::vector<double> args;
    for (const auto& op : n->operands) {
      double f;
      if (!float_const(op, &f)) return n;
      args.push_back(f);
    }
    double r = 0.0;
    if (!args.empty() && fold_call(n->fn, args, &r)) return float_imm(r);
    return n;
  }

  Expr visit_select(const Expr& e) {
    const auto& ops = e->operands;
    Expr cond = visit(ops[0]);
    int64_t v;
    if (int_const(cond, &v)) return visit(ops[v != 0 ? 1 : 2]);
    // Inside a branch the condition's verdict holds: select(i < 8, A[min(i, 7)], 0).
    auto branch = [&](bool truth) {
      RangeMap narrowed;
      const Expr& b = ops[truth ? 1 : 2];
      if (narrowed_ranges(cond, truth, ranges_, narrowed)) return Simplifier(narrowed).visit(b);
      return visit(b);
    };
    Expr t = branch(true), f = branch(false);
    if (structural_equal(t, f)) return t;
    if (cond.same_as(ops[0]) && t.same_as(ops[1]) && f.same_as(ops[2])) return e;
    return with_operands(e, {cond, t, f});
  }

  // The source of a reduction is evaluated only over the reduction axes.
  Expr visit_reduce(const Expr& e) {
    RangeMap inner = ranges_;
    for (const auto& ax : e->reduce_axes)
      if (ax.extent > 0) inner.emplace(ax.var.get(), Interval{0, ax.extent - 1});
    Expr src = Simplifier(inner).visit(e->operands[0]);
    return src.same_as(e->operands[0]) ? e : with_operands(e, {src});
  }
};

}  // namespace

Interval bound(const Expr& e, const RangeMap& ranges) {
  if (!e) return unbounded();
  Interval raw = raw_bound(e, ranges);
  if (e->dtype == DType::Float) return raw;
  // The simplified form cancels what plain interval arithmetic cannot (x - x); both
  // are sound, so their intersection is too.
  Interval simp = raw_bound(simplify(e, ranges), ranges);
  Interval r{std::max(raw.min, simp.min), std::min(raw.max, simp.max)};
  return r.min <= r.max ? r : simp;
}

Expr simplify(const Expr& e, const RangeMap& ranges) {
  if (!e) return e;
  return Simplifier(ranges).visit(e);
}

bool can_prove(const Expr& cond, const RangeMap& ranges) {
  if (!cond) return false;
  Expr s = simplify(cond, ranges);
  if (s->kind == ExprKind::IntImm) return s->int_value != 0;
  if (s->dtype == DType::Float) return false;
  Interval b = raw_bound(s, ranges);
  return b.min >= 1 || b.max <= -1;  // never zero: the condition always holds
}

}  // namespace bcd::ir
