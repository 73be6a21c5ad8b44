#include "ir/simplify.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ir/expr_functor.h"
#include "ir/tensor.h"

using namespace bcd::ir;

namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::string simp(const Expr& e, const RangeMap& r = {}) { return to_string(simplify(e, r)); }

void expect_bound(const Expr& e, const RangeMap& r, int64_t lo, int64_t hi) {
  Interval b = bound(e, r);
  EXPECT_EQ(b.min, lo) << to_string(e);
  EXPECT_EQ(b.max, hi) << to_string(e);
}

// Reference semantics for the property test: floor division, 0/1 booleans, and only
// the chosen side of a select is evaluated.
struct Env {
  std::vector<std::pair<const ExprNode*, int64_t>> values;
  int64_t get(const ExprNode* v) const {
    for (const auto& [n, x] : values)
      if (n == v) return x;
    ADD_FAILURE() << "unbound variable " << v->name;
    return 0;
  }
};

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

int64_t eval(const Expr& e, const Env& env) {
  const auto& o = e->operands;
  auto at = [&](size_t i) { return eval(o[i], env); };
  switch (e->kind) {
    case ExprKind::IntImm: return e->int_value;
    case ExprKind::Var: return env.get(e.get());
    case ExprKind::Add: return at(0) + at(1);
    case ExprKind::Sub: return at(0) - at(1);
    case ExprKind::Mul: return at(0) * at(1);
    case ExprKind::FloorDiv:
    case ExprKind::FloorMod: {
      int64_t a = at(0), b = at(1);
      if (b == 0) {
        ADD_FAILURE() << "division by zero in " << to_string(e);
        return 0;
      }
      return e->kind == ExprKind::FloorDiv ? floor_div(a, b) : floor_mod(a, b);
    }
    case ExprKind::Min: return std::min(at(0), at(1));
    case ExprKind::Max: return std::max(at(0), at(1));
    case ExprKind::EQ: return at(0) == at(1);
    case ExprKind::NE: return at(0) != at(1);
    case ExprKind::LT: return at(0) < at(1);
    case ExprKind::LE: return at(0) <= at(1);
    case ExprKind::GT: return at(0) > at(1);
    case ExprKind::GE: return at(0) >= at(1);
    case ExprKind::And: return at(0) && at(1);
    case ExprKind::Or: return at(0) || at(1);
    case ExprKind::Not: return !at(0);
    case ExprKind::Select: return at(0) ? at(1) : at(2);
    case ExprKind::Cast: return e->dtype == DType::Bool ? at(0) != 0 : at(0);
    default: ADD_FAILURE() << "cannot evaluate " << to_string(e); return 0;
  }
}

// Random integer expressions over a few variables: affine pieces, products,
// floordiv/floormod by (also negative) constants, min/max and selects.
class Gen {
 public:
  Gen(uint64_t seed, std::vector<Expr> vars) : rng_(seed), vars_(std::move(vars)) {}

  int64_t uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }

  Expr divisor() {
    static const int64_t ds[] = {-4, -3, -2, -1, 1, 2, 3, 4, 5, 8};
    return int_imm(ds[uniform(0, 9)]);
  }

  Expr int_expr(int depth) {
    if (depth == 0 || uniform(0, 5) == 0) {
      if (uniform(0, 2) == 0) return int_imm(uniform(-6, 6));
      return vars_[uniform(0, vars_.size() - 1)];
    }
    auto sub = [&] { return int_expr(depth - 1); };
    switch (uniform(0, 10)) {
      case 0: return sub() + sub();
      case 1: return sub() - sub();
      case 2: return sub() * int_imm(uniform(-3, 4));
      case 3: return int_imm(uniform(-3, 4)) * sub();
      case 4: return uniform(0, 3) == 0 ? sub() * vars_[uniform(0, vars_.size() - 1)]
                                        : sub() + sub() * int_imm(2);
      case 5: return floordiv(sub(), divisor());
      case 6: return floormod(sub(), divisor());
      case 7: {
        // The split/fuse shape: floordiv/floormod(a*c + b, c) and friends.
        Expr c = divisor();
        Expr a = sub() * int_imm(c->int_value * uniform(1, 2)) + sub() + int_imm(uniform(-9, 9));
        return uniform(0, 1) ? floordiv(a, c) : floormod(a, c);
      }
      case 8: return uniform(0, 1) ? min(sub(), sub()) : max(sub(), sub());
      case 9: return select(bool_expr(depth - 1), sub(), sub());
      default: {
        Expr x = sub();
        Expr c = divisor();
        return floordiv(x, c) * c + floormod(x, c);
      }
    }
  }

  Expr bool_expr(int depth) {
    static const ExprKind cmps[] = {ExprKind::EQ, ExprKind::NE, ExprKind::LT,
                                    ExprKind::LE, ExprKind::GT, ExprKind::GE};
    if (depth > 0) {
      switch (uniform(0, 5)) {
        case 0: return logical_and(bool_expr(depth - 1), bool_expr(depth - 1));
        case 1: return logical_or(bool_expr(depth - 1), bool_expr(depth - 1));
        case 2: return logical_not(bool_expr(depth - 1));
        default: break;
      }
    }
    int d = depth > 0 ? depth - 1 : 0;
    return make_binary(cmps[uniform(0, 5)], int_expr(d), int_expr(d));
  }

 private:
  std::mt19937_64 rng_;
  std::vector<Expr> vars_;
};

}  // namespace

// --- constant folding -----------------------------------------------------------------

TEST(Simplify, FoldsConstants) {
  EXPECT_EQ(simp(Expr(3) + 4 * Expr(5) - 1), "22");
  EXPECT_EQ(simp(floordiv(-1, 4)), "-1");
  EXPECT_EQ(simp(floormod(-1, 4)), "3");
  EXPECT_EQ(simp(floordiv(7, -2)), "-4");
  EXPECT_EQ(simp(floormod(7, -2)), "-1");
  EXPECT_EQ(simp(floordiv(-7, -2)), "3");
  EXPECT_EQ(simp(floormod(-7, -2)), "-1");
  EXPECT_EQ(simp(min(3, -2)), "-2");
  EXPECT_EQ(simp(max(3, -2)), "3");
  EXPECT_EQ(simp(Expr(3) < 4), "true");
  EXPECT_EQ(simp(Expr(3) == 4), "false");
  EXPECT_EQ(simp(logical_and(Expr(3) < 4, Expr(1) != 1)), "false");
  EXPECT_EQ(simp(logical_or(logical_not(Expr(1) >= 2), Expr(2) > 5)), "true");
  EXPECT_EQ(simp(cast(DType::Float, 3)), to_string(float_imm(3.0)));
  EXPECT_EQ(simp(cast(DType::Int, float_imm(-2.7))), "-2");
  EXPECT_EQ(simp(cast(DType::Int, bool_imm(true))), "1");
  // Division by zero is left for run time.
  EXPECT_EQ(simp(floordiv(5, 0)), "floordiv(5, 0)");
}

TEST(Simplify, FoldsFloatConstantsOnly) {
  Expr f = var("f", DType::Float);
  EXPECT_EQ(simp(Expr(1.5) * 2.0 + 0.25), to_string(float_imm(3.25)));
  EXPECT_EQ(simp(exp(Expr(0.0))), to_string(float_imm(1.0)));
  EXPECT_EQ(simp(pow(Expr(2.0), Expr(3.0))), to_string(float_imm(8.0)));
  EXPECT_EQ(simp(sigmoid(Expr(0.0))), to_string(float_imm(0.5)));
  EXPECT_EQ(simp(max(Expr(1.0), Expr(-1.0))), to_string(float_imm(1.0)));
  EXPECT_EQ(simp(Expr(1.0) < Expr(2.0)), "true");
  // Never reassociated: (f + 1) + 2 keeps its shape, f - f is not 0 (nan, inf).
  Expr e = (f + 1.0) + 2.0;
  EXPECT_TRUE(structural_equal(simplify(e), e));
  EXPECT_EQ(simp(f - f), "(f - f)");
  // A non-finite result is not folded.
  EXPECT_EQ(simp(log(Expr(-1.0))), "log(" + to_string(float_imm(-1.0)) + ")");
  EXPECT_EQ(simp(f * 1.0), "f");
}

// --- affine normalization -------------------------------------------------------------

TEST(Simplify, NormalizesAffine) {
  Expr i = var("i"), j = var("j"), x = var("x"), y = var("y");
  EXPECT_EQ(simp((i * 4 + j) - i * 4), "j");
  EXPECT_EQ(simp(2 * (x + 3) - 6), "(x * 2)");
  EXPECT_EQ(simp(x + x), "(x * 2)");
  EXPECT_EQ(simp(x - x), "0");
  EXPECT_EQ(simp(x * 0 + y), "y");
  EXPECT_EQ(simp(y + x + y - 5), "(((y * 2) + x) - 5)");
  EXPECT_EQ(simp(0 - x), "(x * -1)");
  EXPECT_EQ(simp(x - y * 3 + 1), "((x - (y * 3)) + 1)");
  // Non-linear terms are simplified and merged by structure.
  EXPECT_EQ(simp(x * y + (x * y) * 2), "((x * y) * 3)");
  EXPECT_EQ(simp(floordiv(x, 3) - floordiv(x + 0, 3)), "0");
  // Deterministic and stable under re-simplification.
  Expr e = simplify(3 * (y - 2 * x) + x * 7 - 4);
  EXPECT_EQ(to_string(e), "(((y * 3) + x) - 4)");
  EXPECT_TRUE(structural_equal(simplify(e), e));
  // A canonical input is returned as the very same node.
  EXPECT_TRUE(simplify(e).same_as(e));
}

TEST(Simplify, PinnedVariableBecomesConstant) {
  Expr i = var("i"), j = var("j");
  RangeMap r{{i.get(), Interval::point(2)}, {j.get(), {0, 7}}};
  EXPECT_EQ(simp(i * 8 + j, r), "(j + 16)");
}

TEST(Simplify, KeepsResultTypes) {
  Expr x = var("x"), y = var("y");
  // An int sum of one boolean term stays an int.
  Expr e = simplify(make_binary(ExprKind::Add, x < y, 0));
  EXPECT_EQ(e->dtype, DType::Int);
  EXPECT_EQ(to_string(e), "int((x < y))");
  Expr s = simplify(select(x < y, Expr(1), Expr(1)) < 2);
  EXPECT_EQ(s->dtype, DType::Bool);
  EXPECT_EQ(to_string(s), "true");
}

// --- floordiv / floormod --------------------------------------------------------------

TEST(Simplify, SplitIndexRecovered) {
  Expr io = var("io"), ii = var("ii");
  RangeMap r{{ii.get(), {0, 7}}};
  EXPECT_EQ(simp(floordiv(io * 8 + ii, 8), r), "io");
  EXPECT_EQ(simp(floormod(io * 8 + ii, 8), r), "ii");
  EXPECT_EQ(simp(floordiv(ii + io * 8, 8), r), "io");
  // With io bounded too, bound inference of the fused index is exact.
  r[io.get()] = {0, 3};
  expect_bound(io * 8 + ii, r, 0, 31);
}

TEST(Simplify, FloorDivModWithoutRanges) {
  Expr io = var("io"), ii = var("ii"), x = var("x");
  EXPECT_EQ(simp(floordiv(io * 8 + ii, 8)), "(io + floordiv(ii, 8))");
  EXPECT_EQ(simp(floormod(io * 8 + ii, 8)), "floormod(ii, 8)");
  EXPECT_EQ(simp(floordiv(io * 16 + ii + 19, 8)), "(((io * 2) + floordiv((ii + 3), 8)) + 2)");
  EXPECT_EQ(simp(floormod(io * 16 + ii + 19, 8)), "floormod((ii + 3), 8)");
  // Negative constants split with floor semantics: -3 == 8*(-1) + 5.
  EXPECT_EQ(simp(floordiv(x - 3, 8)), "(floordiv((x + 5), 8) - 1)");
  EXPECT_EQ(simp(floordiv(x, 1)), "x");
  EXPECT_EQ(simp(floormod(x, 1)), "0");
  EXPECT_EQ(simp(floordiv(x, -1)), "(x * -1)");
  EXPECT_EQ(simp(floormod(x, -1)), "0");
  EXPECT_EQ(simp(floordiv(floordiv(x, 4), 2)), "floordiv(x, 8)");
  EXPECT_EQ(simp(floormod(floormod(x, 12), 4)), "floormod(x, 4)");
  // Not valid when the inner modulus is no multiple of the outer: kept.
  EXPECT_EQ(simp(floormod(floormod(x, 6), 4)), "floormod(floormod(x, 6), 4)");
  // A common factor of divisor and dividend cancels.
  EXPECT_EQ(simp(floordiv(x * 4 + 2, 8)), "floordiv(((x * 2) + 1), 4)");
  EXPECT_EQ(simp(floormod(x * 4 + 2, 8)), "(floormod(((x * 2) + 1), 4) * 2)");
  // Nothing to do: the same node comes back.
  Expr e = floordiv(x, 7);
  EXPECT_TRUE(simplify(e).same_as(e));
}

TEST(Simplify, FloorDivModByRanges) {
  Expr x = var("x"), y = var("y");
  RangeMap r{{x.get(), {0, 6}}, {y.get(), {-4, -1}}};
  EXPECT_EQ(simp(floordiv(x, 7), r), "0");
  EXPECT_EQ(simp(floormod(x, 7), r), "x");
  EXPECT_EQ(simp(floordiv(x, 6), r), "floordiv(x, 6)");
  EXPECT_EQ(simp(floormod(x + 14, 7), r), "x");
  EXPECT_EQ(simp(floordiv(x + 14, 7), r), "2");
  // Negative values: floordiv(y, 4) is -1 and floormod(y, 4) is y + 4 for y in [-4, -1].
  EXPECT_EQ(simp(floordiv(y, 4), r), "-1");
  EXPECT_EQ(simp(floormod(y, 4), r), "(y + 4)");
  // Negative divisors: y + 1 in [-3, 0] divided by -4 lies in [0, 0.75], x + 1 in
  // [1, 7] divided by -8 in [-0.875, -0.125].
  EXPECT_EQ(simp(floordiv(y + 1, -4), r), "0");
  EXPECT_EQ(simp(floormod(y + 1, -4), r), "(y + 1)");
  EXPECT_EQ(simp(floordiv(x + 1, -8), r), "-1");
  EXPECT_EQ(simp(floormod(x + 1, -8), r), "(x - 7)");
}

TEST(Simplify, RecombinesFusedSplit) {
  Expr f = var("f");
  RangeMap r{{f.get(), {0, 63}}};
  EXPECT_EQ(simp(floordiv(f, 8) * 8 + floormod(f, 8), r), "f");
  EXPECT_EQ(simp(floormod(f, 8) * 3 + floordiv(f, 8) * 24 + 1), "((f * 3) + 1)");
  expect_bound(floordiv(f, 8), r, 0, 7);
  expect_bound(floormod(f, 8), r, 0, 7);
}

// --- min / max / compare / logic / select ---------------------------------------------

TEST(Simplify, MinMaxByIntervals) {
  Expr x = var("x"), y = var("y");
  RangeMap r{{x.get(), {0, 7}}, {y.get(), {8, 15}}};
  EXPECT_EQ(simp(min(x, y), r), "x");
  EXPECT_EQ(simp(max(x, y), r), "y");
  EXPECT_EQ(simp(min(x, 7), r), "x");
  EXPECT_EQ(simp(max(x, 3), r), "max(x, 3)");
  // By the difference, without ranges.
  EXPECT_EQ(simp(min(x + 1, x)), "x");
  EXPECT_EQ(simp(max(x * 2 + 1, x * 2 - 3)), "((x * 2) + 1)");
  EXPECT_EQ(simp(min(x, x)), "x");
  EXPECT_EQ(simp(min(x, y)), "min(x, y)");
}

TEST(Simplify, ComparesByIntervals) {
  Expr x = var("x"), y = var("y");
  RangeMap r{{x.get(), {0, 7}}, {y.get(), {8, 15}}};
  EXPECT_EQ(simp(x < y, r), "true");
  EXPECT_EQ(simp(x >= y, r), "false");
  EXPECT_EQ(simp(x < 8, r), "true");
  EXPECT_EQ(simp(x < 7, r), "(x < 7)");
  EXPECT_EQ(simp(x <= 7, r), "true");
  EXPECT_EQ(simp(x == 9, r), "false");
  EXPECT_EQ(simp(x != 9, r), "true");
  EXPECT_EQ(simp(x > -1, r), "true");
  // By the difference, without ranges.
  EXPECT_EQ(simp(x < x + 1), "true");
  EXPECT_EQ(simp(x * 2 == x + x), "true");
  EXPECT_EQ(simp(x + 3 > x + 3), "false");
  EXPECT_EQ(simp(x < y), "(x < y)");
}

TEST(Simplify, LogicAndSelect) {
  Expr x = var("x"), y = var("y"), b = var("b", DType::Bool);
  EXPECT_EQ(simp(logical_and(b, bool_imm(true))), "b");
  EXPECT_EQ(simp(logical_and(bool_imm(false), b)), "false");
  EXPECT_EQ(simp(logical_or(b, bool_imm(true))), "true");
  EXPECT_EQ(simp(logical_or(bool_imm(false), b)), "b");
  EXPECT_EQ(simp(logical_not(logical_not(b))), "b");
  EXPECT_EQ(simp(logical_and(b, b)), "b");
  EXPECT_EQ(simp(logical_not(x < y)), "(x >= y)");
  EXPECT_EQ(simp(select(bool_imm(true), x, y)), "x");
  EXPECT_EQ(simp(select(x < x + 1, x, y)), "x");
  EXPECT_EQ(simp(select(x > x, x, y + 0)), "y");
  EXPECT_EQ(simp(select(b, x + 1 - 1, x)), "x");
  EXPECT_EQ(simp(select(b, x, y)), "select(b, x, y)");
}

TEST(Simplify, SelectNarrowsBranches) {
  Expr i = var("i");
  RangeMap r{{i.get(), {0, 33}}};
  // Padding: inside the guard i - 1 is a valid index of a 32-wide tensor.
  Expr pad = select(logical_and(i >= 1, i < 33), min(i - 1, 31), Expr(0));
  EXPECT_EQ(simp(pad, r), "select(((i >= 1) && (i < 33)), (i - 1), 0)");
  expect_bound(select(logical_and(i >= 1, i < 33), i - 1, Expr(-5)), r, -5, 31);
  expect_bound(select(i < 10, i, Expr(0)), r, 0, 9);
  expect_bound(select(logical_not(i < 10), i, Expr(12)), r, 10, 33);
}

TEST(Simplify, LoadsCallsAndReductions) {
  Tensor a = placeholder({16, 8}, "A");
  Expr i = var("i"), j = var("j");
  Expr e = a(floordiv(i * 8 + j, 8), floormod(i * 8 + j, 8));
  RangeMap r{{j.get(), {0, 7}}};
  EXPECT_EQ(simp(e, r), "A[i, j]");
  EXPECT_EQ(simp(exp(a(i + 0, j * 1))), "exp(A[i, j])");
  // The source of a reduction sees the reduction axis range: k in [0, 7].
  IterVar k = reduce_axis(8, "k");
  Expr red = sum(a(i, floormod(k.var, 8)), {k});
  Expr s = simplify(red);
  EXPECT_EQ(to_string(s), "sum(A[i, k], axes=[k])");
  ASSERT_EQ(s->reduce_axes.size(), 1u);
  EXPECT_TRUE(s->reduce_axes[0].var.same_as(k.var));
}

TEST(Simplify, CanProve) {
  Expr x = var("x"), y = var("y");
  RangeMap r{{x.get(), {0, 7}}, {y.get(), {1, 4}}};
  EXPECT_TRUE(can_prove(x < 8, r));
  EXPECT_TRUE(can_prove(x * y >= 0, r));
  EXPECT_TRUE(can_prove(x + y > 0, r));
  EXPECT_FALSE(can_prove(x < 7, r));
  EXPECT_FALSE(can_prove(x < 8));
  EXPECT_TRUE(can_prove(x - 1 < x));
  EXPECT_TRUE(can_prove(floormod(x, 4) < 4));
  EXPECT_TRUE(can_prove(floormod(x, 4) >= 0));
}

// --- bound() --------------------------------------------------------------------------

TEST(Interval, BoundOfEachOperator) {
  Expr x = var("x"), y = var("y"), n = var("n");
  RangeMap r{{x.get(), {0, 7}}, {y.get(), {-2, 3}}, {n.get(), {-9, -1}}};
  expect_bound(Expr(5), r, 5, 5);
  expect_bound(x, r, 0, 7);
  expect_bound(x + y, r, -2, 10);
  expect_bound(x - y, r, -3, 9);
  expect_bound(x * y, r, -14, 21);
  expect_bound(y * n, r, -27, 18);
  expect_bound(x * -3, r, -21, 0);
  expect_bound(floordiv(x, 4), r, 0, 1);
  expect_bound(floordiv(y, 2), r, -1, 1);
  expect_bound(floordiv(y, -2), r, -2, 1);
  expect_bound(floordiv(n, 4), r, -3, -1);
  expect_bound(floordiv(x, y + 3), r, 0, 7);  // divisor [1, 6]
  expect_bound(floormod(x, 4), r, 0, 3);
  expect_bound(floormod(x, 16), r, 0, 7);
  expect_bound(floormod(x + 8, 16), r, 8, 15);
  expect_bound(floormod(y, 4), r, 0, 3);
  expect_bound(floormod(y, -4), r, -3, 0);
  expect_bound(floormod(n, -16), r, -9, -1);
  expect_bound(min(x, y), r, -2, 3);
  expect_bound(max(x, y), r, 0, 7);
  expect_bound(select(var("b", DType::Bool), x, n), r, -9, 7);
  expect_bound(cast(DType::Int, x < y), r, 0, 1);
  expect_bound(cast(DType::Bool, x + 1), r, 1, 1);
  expect_bound(x < 8, r, 1, 1);
  expect_bound(x < 3, r, 0, 1);
  expect_bound(n >= 0, r, 0, 0);
  expect_bound(logical_and(x < 8, n < 0), r, 1, 1);
  expect_bound(logical_or(x < 3, n > 0), r, 0, 1);
  expect_bound(logical_not(x < 3), r, 0, 1);
  expect_bound(logical_not(x < 8), r, 0, 0);
  // The simplified form is used too: x - x is exactly 0.
  expect_bound(x - x, r, 0, 0);
  expect_bound(floordiv(x, 8) * 8 + floormod(x, 8), r, 0, 7);
}

TEST(Interval, UnboundedSaturates) {
  Expr x = var("x"), y = var("y");
  RangeMap r{{y.get(), {0, 3}}};
  expect_bound(x, r, kMin, kMax);
  expect_bound(x * 2 + 5, r, kMin, kMax);
  expect_bound(x * 0 + y, r, 0, 3);
  expect_bound(max(x, y), r, 0, kMax);
  expect_bound(min(x, y), r, kMin, 3);
  expect_bound(floormod(x, 8), r, 0, 7);
  expect_bound(floordiv(x, 8), r, kMin, kMax);
  expect_bound(x < y, r, 0, 1);
  // Large but finite values saturate instead of wrapping.
  Expr big = int_imm(kMax / 2 + 1);
  expect_bound(y * big, r, 0, kMax);
  expect_bound(y * big - big * 8, r, kMin, kMax);
}

// --- randomized property ----------------------------------------------------------------

// simplify(e) must agree with e at every point of the ranges, and bound(e) must hold
// every value e takes there. A variable is sometimes left out of the range map
// (unbounded to the analysis) while still being evaluated over a small range.
TEST(Simplify, RandomExpressionsKeepValuesAndBounds) {
  std::mt19937_64 seeds(20240611);
  int checked = 0;
  for (int round = 0; round < 8000; ++round) {
    uint64_t seed = seeds();
    std::mt19937_64 rng(seed);
    auto pick = [&](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    int nvars = static_cast<int>(pick(2, 3));
    std::vector<Expr> vars;
    std::vector<Interval> dom;
    RangeMap ranges;
    for (int v = 0; v < nvars; ++v) {
      vars.push_back(var(std::string(1, static_cast<char>('x' + v))));
      int64_t lo = pick(-4, 3);
      dom.push_back({lo, lo + pick(0, 6)});
      if (pick(0, 4) != 0) ranges[vars.back().get()] = dom.back();
    }
    Gen gen(seed ^ 0x9e3779b97f4a7c15ULL, vars);
    Expr e = round % 5 == 0 ? cast(DType::Int, gen.bool_expr(3)) : gen.int_expr(4);
    Expr s = simplify(e, ranges);
    Interval b = bound(e, ranges);
    ASSERT_LE(b.min, b.max) << to_string(e);

    Env env;
    env.values.resize(nvars);
    std::vector<int64_t> point(nvars);
    for (int v = 0; v < nvars; ++v) point[v] = dom[v].min;
    for (bool more = true; more;) {
      for (int v = 0; v < nvars; ++v) env.values[v] = {vars[v].get(), point[v]};
      int64_t want = eval(e, env), got = eval(s, env);
      ASSERT_EQ(want, got) << "seed " << seed << "\n  e = " << to_string(e)
                           << "\n  simplified = " << to_string(s);
      ASSERT_TRUE(b.min <= want && want <= b.max)
          << "seed " << seed << " value " << want << " outside [" << b.min << ", " << b.max
          << "] of " << to_string(e);
      ++checked;
      more = false;
      for (int v = 0; v < nvars && !more; ++v) {
        if (++point[v] <= dom[v].max) more = true;
        else point[v] = dom[v].min;
      }
    }
    // Simplifying again changes nothing.
    ASSERT_TRUE(structural_equal(simplify(s, ranges), s))
        << "not idempotent:\n  " << to_string(s) << "\n  " << to_string(simplify(s, ranges));
  }
  EXPECT_GT(checked, 100000);
}
