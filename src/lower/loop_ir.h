// The loop program: what a schedule lowers to and what code generators print.
// Statements are immutable trees like expressions. Loops always run from 0 to a
// constant extent (schedules only produce exact splits); buffers are the DAG's
// tensors, allocated at a scope with a (possibly shrunk) shape, and every load and
// store in the program uses indices relative to that allocation.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/expr.h"
#include "ir/tensor.h"

namespace bcd::lower {

using ir::Expr;

enum class StmtKind : uint8_t { For, Store, Allocate, Seq, IfThenElse, Sync };

enum class ForKind : uint8_t {
  Serial, Parallel, Vectorized, Unrolled,
  Vthread,  // virtual thread: unrolled by the GPU generator
  BlockIdxX, BlockIdxY, BlockIdxZ, ThreadIdxX, ThreadIdxY, ThreadIdxZ,
};

enum class MemScope : uint8_t { Global, Shared, Local };

struct StmtNode;
using Stmt = std::shared_ptr<const StmtNode>;

struct StmtNode {
  StmtKind kind;
  // For
  Expr loop_var;
  int64_t extent = 0;
  ForKind for_kind = ForKind::Serial;
  int64_t auto_unroll_max_step = 0;  // pragma: unroll inner loops up to this many steps
  // Store: buffer[indices] = value;  Allocate: buffer with alloc_shape at scope
  ir::OpRef buffer;
  std::vector<Expr> indices;
  Expr value;
  std::vector<int64_t> alloc_shape;
  MemScope scope = MemScope::Global;
  // IfThenElse
  Expr condition;
  // For, Allocate: body[0]; Seq: all; IfThenElse: then = body[0], else = body[1] if any
  std::vector<Stmt> body;
};

Stmt make_for(Expr var, int64_t extent, ForKind kind, Stmt body, int64_t auto_unroll = 0);
Stmt make_store(ir::OpRef buffer, std::vector<Expr> indices, Expr value);
Stmt make_allocate(ir::OpRef buffer, std::vector<int64_t> shape, MemScope scope, Stmt body);
Stmt make_seq(std::vector<Stmt> stmts);  // flattens nested sequences; one stmt stays itself
Stmt make_if(Expr condition, Stmt then_case, Stmt else_case = nullptr);
Stmt make_sync();
Stmt with_body(const Stmt& s, std::vector<Stmt> body);
// The statement with every expression in it (store indices and values, conditions)
// passed through `fn`.
Stmt map_exprs(const Stmt& s, const std::function<Expr(const Expr&)>& fn);

const char* for_kind_name(ForKind kind);
bool is_gpu_binding(ForKind kind);

// A kernel: arguments are the DAG's inputs then its outputs, all float32 buffers.
struct LoweredFunc {
  std::string name;
  std::vector<ir::OpRef> params;
  Stmt body;
  // Empty: the last parameter is an array of its own shape. Otherwise the shape of
  // a larger array the output is a slice of (same rank, no dimension smaller): the
  // generated code addresses the output row-major in this shape from the pointer it
  // is given, the slice's first element, and writes nothing outside the slice. A
  // network's producers write into their slices of a concatenation this way
  // (executor/network_plan.h). C only.
  std::vector<int64_t> output_array_shape;
};

// Readable multi-line form, for debugging and golden tests.
std::string to_string(const Stmt& s, int indent = 0);
std::string to_string(const LoweredFunc& f);

}  // namespace bcd::lower
