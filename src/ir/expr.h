// Expressions of the tensor IR: integer and float arithmetic, comparisons, logic,
// select, casts, math calls, tensor loads and reductions.
//
// An Expr is an immutable tree node behind a shared pointer. One node struct serves
// every kind (the `kind` field says which fields are meaningful) so that generic
// passes can rebuild a node from new operands without a visitor per kind.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bcd::ir {

enum class DType : uint8_t { Int, Float, Bool };

enum class ExprKind : uint8_t {
  IntImm, FloatImm, Var,
  Add, Sub, Mul, Div, FloorDiv, FloorMod, Min, Max,  // Div is float division
  EQ, NE, LT, LE, GT, GE,
  And, Or, Not,
  Select,  // operands: cond, true value, false value (only the chosen side is evaluated)
  Cast,    // operands: value; dtype is the target type
  Call,    // operands: arguments of `fn`
  Load,    // operands: indices; `tensor` is the tensor read
  Reduce,  // operands: source; `reduce_axes`, `reduce_op`; only at the top of a body
};

enum class CallFn : uint8_t { Exp, Log, Sqrt, Tanh, Erf, Sigmoid, Abs, Pow };
enum class ReduceOp : uint8_t { Sum, Max, Min };
enum class IterKind : uint8_t { Spatial, Reduce };

struct ExprNode;
struct OpNode;

class Expr {
 public:
  Expr() = default;
  explicit Expr(std::shared_ptr<const ExprNode> node) : node_(std::move(node)) {}
  Expr(int v);  // NOLINT: literals read naturally in compute declarations
  Expr(int64_t v);
  Expr(double v);
  Expr(float v);
  // A C++ bool is never an expression: without this, `a && b` on two Exprs would
  // quietly become the constant 1 (both pointers non-null). Use bool_imm/logical_*.
  Expr(bool v) = delete;

  const ExprNode* get() const { return node_.get(); }
  const ExprNode* operator->() const { return node_.get(); }
  const ExprNode& operator*() const { return *node_; }
  explicit operator bool() const { return node_ != nullptr; }
  bool same_as(const Expr& other) const { return node_ == other.node_; }

 private:
  std::shared_ptr<const ExprNode> node_;
};

// A loop/iteration variable over [0, extent).
struct IterVar {
  Expr var;
  int64_t extent = 0;
  IterKind kind = IterKind::Spatial;
};

// The operation behind a tensor (defined in tensor.h); a Load refers to it.
using OpRef = std::shared_ptr<const OpNode>;

struct ExprNode {
  ExprKind kind;
  DType dtype;
  int64_t int_value = 0;     // IntImm
  double float_value = 0.0;  // FloatImm
  std::string name;          // Var
  CallFn fn = CallFn::Exp;   // Call
  ReduceOp reduce_op = ReduceOp::Sum;
  std::vector<Expr> operands;
  OpRef tensor;                      // Load
  std::vector<IterVar> reduce_axes;  // Reduce
};

// --- construction -------------------------------------------------------------
Expr int_imm(int64_t v);
Expr float_imm(double v);
Expr bool_imm(bool v);
Expr var(const std::string& name, DType dtype = DType::Int);
// Builds a node of a binary/unary kind, folding nothing: see simplify() for that.
Expr make_binary(ExprKind kind, Expr a, Expr b);
Expr select(Expr cond, Expr t, Expr f);
Expr cast(DType dtype, Expr value);
Expr call(CallFn fn, std::vector<Expr> args);
Expr load(OpRef tensor, std::vector<Expr> indices);
Expr reduce(ReduceOp op, Expr source, std::vector<IterVar> axes);
// A new node of the same kind and attributes with other operands.
Expr with_operands(const Expr& e, std::vector<Expr> operands);

IterVar spatial_axis(int64_t extent, const std::string& name);
IterVar reduce_axis(int64_t extent, const std::string& name);

Expr operator+(Expr a, Expr b);
Expr operator-(Expr a, Expr b);
Expr operator*(Expr a, Expr b);
Expr operator/(Expr a, Expr b);  // float division; use floordiv for integers
Expr operator-(Expr a);
Expr operator<(Expr a, Expr b);
Expr operator<=(Expr a, Expr b);
Expr operator>(Expr a, Expr b);
Expr operator>=(Expr a, Expr b);
Expr operator==(Expr a, Expr b);
Expr operator!=(Expr a, Expr b);
// Logic is spelled out: overloading &&, || and ! on Expr would silently turn
// `if (!e)` or `if (a && b)` on expressions into IR construction.
Expr logical_and(Expr a, Expr b);
Expr logical_or(Expr a, Expr b);
Expr logical_not(Expr a);
Expr floordiv(Expr a, Expr b);
Expr floormod(Expr a, Expr b);
Expr min(Expr a, Expr b);
Expr max(Expr a, Expr b);
Expr exp(Expr x);
Expr log(Expr x);
Expr sqrt(Expr x);
Expr tanh(Expr x);
Expr erf(Expr x);
Expr sigmoid(Expr x);
Expr abs(Expr x);
Expr pow(Expr x, Expr y);
Expr sum(Expr source, std::vector<IterVar> axes);
Expr max_reduce(Expr source, std::vector<IterVar> axes);
Expr min_reduce(Expr source, std::vector<IterVar> axes);

// The value a reduction starts from: 0, -inf or +inf.
double reduce_identity(ReduceOp op);

// --- queries ------------------------------------------------------------------
bool is_const_int(const Expr& e, int64_t* value = nullptr);
bool is_binary(ExprKind kind);
bool is_compare(ExprKind kind);
const char* kind_name(ExprKind kind);
const char* call_name(CallFn fn);
const char* reduce_name(ReduceOp op);

// A readable one-line form, e.g. `(i*4 + j)` or `A[i, k]`.
std::string to_string(const Expr& e);

}  // namespace bcd::ir
