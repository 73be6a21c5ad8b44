#include "codegen/codegen_cuda.h"

#include <fmt/format.h>

#include <cstdlib>
#include <limits>
#include <optional>
#include <unordered_set>

#include "codegen/expr_printer.h"
#include "codegen/vector_access.h"
#include "ir/expr_functor.h"
#include "support/error.h"
#include "support/ndarray.h"

namespace bcd::codegen {

using ir::Expr;
using ir::ExprKind;
using lower::ForKind;
using lower::LoweredFunc;
using lower::MemScope;
using lower::Stmt;
using lower::StmtKind;

using detail::check_size;
using detail::sanitize;

namespace {

// NVRTC has no system headers: INFINITY and NAN are defined here from builtins
// (the scalar helpers, shared with the C generator, follow them). The vector
// access helpers assume 16-byte aligned buffers: cuMemAlloc's are, shared arrays
// are declared so; a host emulator may define its own, checked versions first.
const char* kPrelude = R"(#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif
#ifndef NAN
#define NAN __int_as_float(0x7fffffff)
#endif
#ifndef BCD_VECTOR_ACCESS
#define BCD_VECTOR_ACCESS
__device__ __forceinline__ float4 bcd_load4(const float* p) { return *reinterpret_cast<const float4*>(p); }
__device__ __forceinline__ float2 bcd_load2(const float* p) { return *reinterpret_cast<const float2*>(p); }
__device__ __forceinline__ void bcd_store4(float* p, float a, float b, float c, float d) {
  float4 v; v.x = a; v.y = b; v.z = c; v.w = d; *reinterpret_cast<float4*>(p) = v;
}
__device__ __forceinline__ void bcd_store2(float* p, float a, float b) {
  float2 v; v.x = a; v.y = b; *reinterpret_cast<float2*>(p) = v;
}
#endif
)";

// Limits every CUDA device since compute capability 3.0 has.
constexpr int64_t kMaxThreadsPerBlock = 1024;
constexpr int64_t kMaxBlockDim[3] = {1024, 1024, 64};
constexpr int64_t kMaxGridDim[3] = {2147483647, 65535, 65535};
constexpr int64_t kMaxStaticSharedBytes = 48 * 1024;

const char* const kAxis[3] = {"x", "y", "z"};

int block_axis(ForKind k) {
  switch (k) {
    case ForKind::BlockIdxX: return 0;
    case ForKind::BlockIdxY: return 1;
    case ForKind::BlockIdxZ: return 2;
    default: return -1;
  }
}

int thread_axis(ForKind k) {
  switch (k) {
    case ForKind::ThreadIdxX: return 0;
    case ForKind::ThreadIdxY: return 1;
    case ForKind::ThreadIdxZ: return 2;
    default: return -1;
  }
}

// Grid and block of one kernel: the extents of its blockIdx-bound loops and the
// largest extents of its threadIdx-bound loops, with the loops that set them.
struct LaunchShape {
  int64_t grid[3] = {1, 1, 1};
  int64_t block[3] = {1, 1, 1};
  std::string grid_loop[3];
  std::string block_loop[3];
  bool has_sync = false;

  int64_t threads() const { return block[0] * block[1] * block[2]; }
};

void scan_launch(const Stmt& s, const std::string& kernel, LaunchShape& shape) {
  if (s->kind == StmtKind::Sync) shape.has_sync = true;
  if (s->kind == StmtKind::For) {
    const std::string& loop = s->loop_var->name;
    if (s->for_kind == ForKind::Parallel)
      fail("kernel {}: loop {} is a CPU-parallel loop; a GPU program binds loops to blockIdx/threadIdx",
           kernel, loop);
    if (int b = block_axis(s->for_kind); b >= 0) {
      if (!shape.grid_loop[b].empty() && shape.grid[b] != s->extent)
        fail("kernel {}: loops {} and {} are both bound to blockIdx.{} with different extents ({} and {})",
             kernel, shape.grid_loop[b], loop, kAxis[b], shape.grid[b], s->extent);
      shape.grid[b] = s->extent;
      shape.grid_loop[b] = loop;
    }
    if (int t = thread_axis(s->for_kind); t >= 0 && s->extent > shape.block[t]) {
      shape.block[t] = s->extent;
      shape.block_loop[t] = loop;
    }
  }
  for (const auto& b : s->body)
    if (b) scan_launch(b, kernel, shape);
}

void check_launch(const LaunchShape& shape, const std::string& kernel) {
  for (int d = 0; d < 3; ++d) {
    if (shape.block[d] > kMaxBlockDim[d])
      fail("kernel {}: loop {} bound to threadIdx.{} has extent {}, more than the {} a block allows",
           kernel, shape.block_loop[d], kAxis[d], shape.block[d], kMaxBlockDim[d]);
    if (shape.grid[d] > kMaxGridDim[d])
      fail("kernel {}: loop {} bound to blockIdx.{} has extent {}, more than the {} a grid allows", kernel,
           shape.grid_loop[d], kAxis[d], shape.grid[d], kMaxGridDim[d]);
  }
  if (shape.threads() > kMaxThreadsPerBlock) {
    std::string loops;
    for (int d = 0; d < 3; ++d)
      if (shape.block[d] > 1)
        loops += fmt::format("{}{} (threadIdx.{}, {})", loops.empty() ? "" : ", ", shape.block_loop[d], kAxis[d],
                             shape.block[d]);
    fail("kernel {}: {} threads per block, more than {}: loops {}", kernel, shape.threads(), kMaxThreadsPerBlock,
         loops);
  }
}

// Every store under `s`, with the buffers allocated under `s` (stores to those are
// private to one iteration of whatever encloses `s`).
void collect_stores(const Stmt& s, std::vector<const lower::StmtNode*>& stores,
                    std::unordered_set<const ir::OpNode*>& allocated, std::vector<Expr>& loop_vars) {
  if (s->kind == StmtKind::Store) stores.push_back(s.get());
  if (s->kind == StmtKind::Allocate) allocated.insert(s->buffer.get());
  if (s->kind == StmtKind::For) loop_vars.push_back(s->loop_var);
  for (const auto& b : s->body)
    if (b) collect_stores(b, stores, allocated, loop_vars);
}

bool uses_any(const Expr& e, const std::vector<Expr>& vars) {
  for (const auto& v : vars)
    if (ir::uses_var(e, v)) return true;
  return false;
}

bool uses_any(const std::vector<Expr>& es, const std::vector<Expr>& vars) {
  for (const auto& e : es)
    if (uses_any(e, vars)) return true;
  return false;
}

bool loads_buffer(const Expr& e, const ir::OpNode* buffer) {
  bool found = false;
  ir::visit(e, [&](const Expr& x) {
    if (x->kind == ExprKind::Load && x->tensor.get() == buffer) found = true;
    return !found;
  });
  return found;
}

// A recognised cross-thread reduction: a thread-bound loop whose one store to an
// outer buffer is `B[i] = B[i] op rest` (op: +, max, min), i independent of the
// thread loop and of every loop inside it.
struct ThreadReduction {
  const lower::StmtNode* store = nullptr;
  ExprKind op = ExprKind::Add;
  Expr rest;
};

class KernelPrinter : detail::ExprPrinter {
 public:
  KernelPrinter(const LoweredFunc& f, const std::vector<const lower::StmtNode*>& intermediates,
                std::string kernel, const LaunchShape& shape, bool vector_access)
      : kernel_(std::move(kernel)), shape_(shape), auto_sync_(!shape.has_sync && shape.threads() > 1),
        vector_access_(vector_access) {
    if (!f.output_array_shape.empty()) fail("{}: CUDA kernels write whole output arrays, not slices", f.name);
    for (const auto& p : f.params) add_param(p.get(), p->shape);
    for (const auto* a : intermediates) add_param(a->buffer.get(), a->alloc_shape);
  }

  // The names of the kernel's buffer parameters, in order.
  const std::vector<std::string>& param_names() const { return param_names_; }

  std::string print(const Stmt& body) {
    print_stmt(body, 1);
    std::string head = fmt::format("extern \"C\" __global__ void __launch_bounds__({}) {}(", shape_.threads(), kernel_);
    for (size_t i = 0; i < param_names_.size(); ++i)
      head += fmt::format("{}float* __restrict__ {}", i ? ", " : "", param_names_[i]);
    head += ") {\n";
    int64_t shared_bytes = 0;
    for (const auto& [name, size] : shared_decls_) {
      head += fmt::format("  __shared__ __align__(16) float {}[{}];\n", name, size);
      shared_bytes += size * 4;
    }
    if (shared_bytes > kMaxStaticSharedBytes)
      fail("kernel {}: {} bytes of shared memory, more than the {} a block may declare statically", kernel_,
           shared_bytes, kMaxStaticSharedBytes);
    if (!tid_.empty())
      head += fmt::format("  const int {} = (int)threadIdx.x + {} * ((int)threadIdx.y + {} * (int)threadIdx.z);\n",
                          tid_, shape_.block[0], shape_.block[1]);
    return head + out_ + "}\n";
  }

 private:
  void add_param(const ir::OpNode* buffer, const std::vector<int64_t>& shape) {
    check_size(shape, buffer->name);
    shapes_[buffer] = shape;
    param_names_.push_back(buffer_name(buffer));
  }

  void line(int indent, const std::string& text) { out_ += std::string(indent * 2, ' ') + text + "\n"; }

  void barrier(int indent, const char* why) {
    if (!divergence_.empty())
      fail("kernel {}: a barrier ({}) would run under a thread-dependent condition ({}): threads of a block "
           "could not all reach it",
           kernel_, why, divergence_.back());
    line(indent, "__syncthreads();");
  }

  // `threadIdx.d == 0` for every thread axis of the block the current point is not
  // inside a loop bound to: a store there is done once per block, not per thread.
  std::string single_thread_condition() const {
    std::string cond;
    for (int d = 0; d < 3; ++d)
      if (shape_.block[d] > 1 && covered_[d] == 0)
        cond += fmt::format("{}threadIdx.{} == 0", cond.empty() ? "" : " && ", kAxis[d]);
    return cond;
  }

  // A statement that writes `buffer`, on one thread where the point is outside
  // some thread loop (registers are every thread's own).
  void guarded_line(int indent, const ir::OpNode* buffer, const std::string& statement) {
    std::string cond = local_.count(buffer) ? "" : single_thread_condition();
    line(indent, cond.empty() ? statement : fmt::format("if ({}) {}", cond, statement));
  }

  void store_line(int indent, const ir::OpNode* buffer, const std::string& target, const std::string& value) {
    guarded_line(indent, buffer, fmt::format("{} = {};", target, value));
  }

  static std::string combine(ExprKind op, const std::string& a, const std::string& b) {
    switch (op) {
      case ExprKind::Max: return fmt::format("bcd_maxf({}, {})", a, b);
      case ExprKind::Min: return fmt::format("bcd_minf({}, {})", a, b);
      default: return fmt::format("({} + {})", a, b);
    }
  }

  bool is_thread_var(const Expr& e) const {
    bool found = false;
    ir::visit(e, [&](const Expr& x) {
      if (x->kind == ExprKind::Var && thread_vars_.count(x.get())) found = true;
      return !found;
    });
    return found;
  }

  // Does `s` store into a shared buffer allocated outside it?
  bool writes_shared(const Stmt& s) const {
    if (s->kind == StmtKind::Store) return shared_.count(s->buffer.get()) > 0;
    for (const auto& b : s->body)
      if (b && writes_shared(b)) return true;
    return false;
  }

  // Classifies a thread-bound loop: nullopt when its iterations are independent,
  // the reduction when it is one this generator handles; fails otherwise.
  std::optional<ThreadReduction> thread_reduction(const Stmt& loop) const {
    if (loop->extent == 1) return std::nullopt;  // one thread: nothing to combine
    std::vector<const lower::StmtNode*> stores;
    std::unordered_set<const ir::OpNode*> inner;
    std::vector<Expr> inner_vars = {loop->loop_var};
    collect_stores(loop->body[0], stores, inner, inner_vars);
    std::vector<const lower::StmtNode*> outer;
    bool carried = false;
    for (const auto* st : stores) {
      if (inner.count(st->buffer.get())) continue;
      outer.push_back(st);
      if (!uses_any(st->indices, {loop->loop_var})) carried = true;
    }
    if (!carried) return std::nullopt;
    auto unsupported = [&](const std::string& why) {
      fail("kernel {}: loop {} bound to threadIdx.{} accumulates across threads, but {}; the CUDA generator "
           "reduces across threads only a loop whose one store is B[i] = B[i] + f (or max, min) with i "
           "independent of the loops inside it",
           kernel_, loop->loop_var->name, kAxis[thread_axis(loop->for_kind)], why);
    };
    if (outer.size() != 1) unsupported(fmt::format("it stores {} times", outer.size()));
    const auto* st = outer[0];
    const std::string& name = st->buffer->name;
    if (uses_any(st->indices, inner_vars))
      unsupported(fmt::format("the element of {} it updates depends on the loops inside it", name));
    const Expr& v = st->value;
    if (v->kind != ExprKind::Add && v->kind != ExprKind::Max && v->kind != ExprKind::Min)
      unsupported(fmt::format("{} is not updated with +, max or min", name));
    auto is_self = [&](const Expr& e) {
      if (e->kind != ExprKind::Load || e->tensor.get() != st->buffer.get()) return false;
      for (size_t i = 0; i < st->indices.size(); ++i)
        if (!ir::structural_equal(e->operands[i], st->indices[i])) return false;
      return true;
    };
    ThreadReduction r{st, v->kind, Expr()};
    if (is_self(v->operands[0]))
      r.rest = v->operands[1];
    else if (is_self(v->operands[1]))
      r.rest = v->operands[0];
    else
      unsupported(fmt::format("{} is not updated from its own value", name));
    if (loads_buffer(r.rest, st->buffer.get()))
      unsupported(fmt::format("the update of {} reads {} again", name, name));
    return r;
  }

  // A thread-bound reduction loop: each thread accumulates its share in a register,
  // the block sums the partials in a shared-memory tree, and one thread (every
  // thread, for a private local destination) folds the total into the destination.
  void print_thread_reduction(const Stmt& loop, const ThreadReduction& r, int d, const std::string& v, int indent) {
    if (covered_[d] > 0)
      fail("kernel {}: loop {} reduces across threadIdx.{} inside another loop bound to threadIdx.{}", kernel_,
           loop->loop_var->name, kAxis[d], kAxis[d]);
    const ir::OpNode* dest = r.store->buffer.get();
    if (tid_.empty()) {
      tid_ = unique("bcd_tid");
      scratch_ = unique("bcd_red");
      shared_decls_.push_back({scratch_, shape_.threads()});
    }
    std::string acc = unique(buffer_name(dest) + "_partial");
    double identity = r.op == ExprKind::Add   ? 0.0
                      : r.op == ExprKind::Max ? -std::numeric_limits<double>::infinity()
                                              : std::numeric_limits<double>::infinity();
    line(indent, fmt::format("float {} = {};", acc, detail::float_literal(identity)));
    print_thread_loop(loop, d, v, indent, [&](int inner) {
      accumulator_ = {r.store, r.op, r.rest, acc};
      print_stmt(loop->body[0], inner);
      accumulator_ = {};
    });

    int64_t stride = 1;
    for (int e = 0; e < d; ++e) stride *= shape_.block[e];
    int64_t width = shape_.block[d];
    int64_t half = 1;
    while (half * 2 < width) half *= 2;
    std::string slot = fmt::format("{}[{}]", scratch_, tid_);
    std::string s = unique("s");
    line(indent, fmt::format("{} = {};", slot, acc));
    barrier(indent, "cross-thread reduction");
    if (width > 1) {
      line(indent, fmt::format("for (int {0} = {1}; {0} > 0; {0} >>= 1) {{", s, half));
      std::string partner = stride == 1 ? fmt::format("{}[{} + {}]", scratch_, tid_, s)
                                        : fmt::format("{}[{} + {} * {}]", scratch_, tid_, s, stride);
      line(indent + 1, fmt::format("if ((int)threadIdx.{0} < {1} && (int)threadIdx.{0} + {1} < {2}) {3} = {4};",
                                   kAxis[d], s, width, slot, combine(r.op, slot, partner)));
      barrier(indent + 1, "cross-thread reduction");
      line(indent, "}");
    }
    std::string total = stride == 1 ? fmt::format("{}[{} - (int)threadIdx.{}]", scratch_, tid_, kAxis[d])
                                    : fmt::format("{}[{} - (int)threadIdx.{} * {}]", scratch_, tid_, kAxis[d], stride);
    std::string target = fmt::format("{}[{}]", buffer_name(dest), flat_index(dest, r.store->indices));
    store_line(indent, dest, target, combine(r.op, target, total));
    // The scratch array is reused by the next reduction.
    barrier(indent, "cross-thread reduction");
  }

  // The body of a loop bound to threadIdx.d: the loop variable is the thread index,
  // and threads beyond the loop's extent (the block is sized for the largest loop)
  // skip it.
  template <typename PrintBody>
  void print_thread_loop(const Stmt& loop, int d, const std::string& v, int indent, PrintBody print_body) {
    bool guarded = loop->extent < shape_.block[d];
    if (guarded) {
      line(indent, fmt::format("if ((int)threadIdx.{} < {}) {{", kAxis[d], loop->extent));
      divergence_.push_back(fmt::format("loop {} covers {} of {} threads", loop->loop_var->name, loop->extent,
                                        shape_.block[d]));
      ++indent;
    }
    line(indent, fmt::format("const int {} = (int)threadIdx.{};", v, kAxis[d]));
    thread_vars_.insert(loop->loop_var.get());
    active_thread_vars_.push_back(loop->loop_var);
    ++covered_[d];
    print_body(indent);
    --covered_[d];
    active_thread_vars_.pop_back();
    if (guarded) {
      divergence_.pop_back();
      line(indent - 1, "}");
    }
  }

  void print_for(const Stmt& s, int indent) {
    std::string v = unique(s->loop_var->name);
    vars_[s->loop_var.get()] = v;
    ranges_[s->loop_var.get()] = ir::Interval{0, s->extent - 1};
    if (int b = block_axis(s->for_kind); b >= 0) {
      line(indent, fmt::format("const int {} = (int)blockIdx.{};", v, kAxis[b]));
      print_stmt(s->body[0], indent);
    } else if (int d = thread_axis(s->for_kind); d >= 0) {
      if (auto r = thread_reduction(s)) {
        print_thread_reduction(s, *r, d, v, indent);
      } else {
        if (covered_[d] > 0) check_cooperative(s, d);
        print_thread_loop(s, d, v, indent, [&](int inner) { print_stmt(s->body[0], inner); });
      }
    } else if (!(vector_access_ && print_vectorized(s, v, indent))) {
      // Virtual threads are unrolled: their iterations are independent work that
      // the compiler interleaves within one thread.
      if (s->for_kind == ForKind::Unrolled || s->for_kind == ForKind::Vthread) line(indent, "#pragma unroll");
      line(indent, fmt::format("for (int {0} = 0; {0} < {1}; ++{0}) {{", v, s->extent));
      ++serial_depth_;
      print_stmt(s->body[0], indent + 1);
      --serial_depth_;
      line(indent, "}");
    }
    ranges_.erase(s->loop_var.get());
  }

  // A loop whose one statement is a store, `lanes` iterations at a time, with the
  // accesses that allow it done as float4/float2 (codegen/vector_access.h): the
  // vector loads first, then each lane's value (its scalar loads in lane order),
  // then the stores. False when no access qualifies.
  bool print_vectorized(const Stmt& loop, const std::string& v, int indent) {
    const Stmt& body = loop->body[0];
    if (body->kind != StmtKind::Store || body.get() == accumulator_.store) return false;
    const ir::OpNode* stored = body->buffer.get();
    detail::VectorPlan plan = detail::plan_vector_access(
        *body, loop->loop_var, loop->extent, ranges_,
        [&](const ir::OpNode* b, const std::vector<Expr>& indices) { return flat_expr(b, indices); },
        [&](const ir::OpNode* b) { return !local_.count(b); });
    if (plan.lanes == 0) return false;
    static const char* const kLane[4] = {"x", "y", "z", "w"};
    const int lanes = plan.lanes;
    const std::string vec = unique(v + "_vec");
    auto at_lane = [&](int lane) {
      vars_[loop->loop_var.get()] = lane == 0 ? fmt::format("({} * {})", vec, lanes)
                                              : fmt::format("(({} * {}) + {})", vec, lanes, lane);
    };
    if (loop->for_kind == ForKind::Unrolled || loop->for_kind == ForKind::Vthread) line(indent, "#pragma unroll");
    line(indent, fmt::format("for (int {0} = 0; {0} < {1}; ++{0}) {{", vec, loop->extent / lanes));
    at_lane(0);
    for (const Expr& l : plan.vector_loads) {
      const std::string name = unique("vec");
      line(indent + 1, fmt::format("const float{} {} = bcd_load{}(&{}[{}]);", lanes, name, lanes,
                                   buffer_name(l->tensor.get()), flat_index(l->tensor.get(), l->operands)));
      // Every lane's load is the same node: the override is set per lane below.
      lane_names_[l.get()] = name;
    }
    std::vector<std::string> values;
    for (int lane = 0; lane < lanes; ++lane) {
      at_lane(lane);
      for (const Expr& l : plan.vector_loads) load_overrides_[l.get()] = lane_names_[l.get()] + "." + kLane[lane];
      const std::string value = expr(body->value);
      if (plan.vector_store) {
        values.push_back(value);
      } else {
        store_line(indent + 1, stored, fmt::format("{}[{}]", buffer_name(stored), flat_index(stored, body->indices)),
                   value);
      }
    }
    for (const Expr& l : plan.vector_loads) {
      load_overrides_.erase(l.get());
      lane_names_.erase(l.get());
    }
    if (plan.vector_store) {
      at_lane(0);
      std::string call = fmt::format("bcd_store{}(&{}[{}]", lanes, buffer_name(stored), flat_index(stored, body->indices));
      for (const std::string& value : values) call += ", " + value;
      guarded_line(indent + 1, stored, call + ");");
    }
    line(indent, "}");
    return true;
  }

  // A thread loop inside another bound to the same thread index shares the
  // enclosing loop's threads: the block fetches a shared buffer together. Anything
  // else it wrote would be written by one thread per element, not by every thread
  // that needs it.
  void check_cooperative(const Stmt& loop, int d) const {
    std::vector<const lower::StmtNode*> stores;
    std::unordered_set<const ir::OpNode*> inner;
    std::vector<Expr> vars;
    collect_stores(loop->body[0], stores, inner, vars);
    for (const auto* st : stores)
      if (!shared_.count(st->buffer.get()) && !inner.count(st->buffer.get()))
        fail("kernel {}: loop {} is bound to threadIdx.{} inside another loop bound to it, but writes {}, "
             "which is not a shared buffer the block fills together",
             kernel_, loop->loop_var->name, kAxis[d], st->buffer->name);
  }

  void print_allocate(const Stmt& s, int indent) {
    const ir::OpNode* buffer = s->buffer.get();
    check_size(s->alloc_shape, buffer->name);
    std::string name = buffer_name(buffer);
    int64_t size = shape_size(s->alloc_shape);
    shapes_[buffer] = s->alloc_shape;
    switch (s->scope) {
      case MemScope::Global:
        fail("kernel {}: global buffer {} is allocated inside a kernel; only a function's top level "
             "allocates global buffers",
             kernel_, buffer->name);
      case MemScope::Shared: {
        // One copy per block: every thread of the block must fill it with the same
        // values, so its contents may not depend on which thread computes them.
        std::vector<const lower::StmtNode*> stores;
        std::unordered_set<const ir::OpNode*> inner;
        std::vector<Expr> vars;
        collect_stores(s->body[0], stores, inner, vars);
        for (const auto* st : stores) {
          if (st->buffer.get() != buffer) continue;
          for (const auto& tv : active_thread_vars_)
            if (uses_any(st->indices, {tv}) || uses_any(st->value, {tv}))
              fail("kernel {}: shared buffer {} would hold different values for each thread (its contents "
                   "depend on loop {}, bound to a thread index)",
                   kernel_, buffer->name, tv->name);
        }
        shared_decls_.push_back({name, size});
        shared_.insert(buffer);
        print_stmt(s->body[0], indent);
        shared_.erase(buffer);
        break;
      }
      case MemScope::Local:
        line(indent, fmt::format("float {}[{}];", name, size));
        local_.insert(buffer);
        print_stmt(s->body[0], indent);
        local_.erase(buffer);
        break;
    }
    shapes_.erase(buffer);
  }

  void print_seq(const Stmt& s, int indent) {
    // Barriers around the statements that fill shared buffers (when the program
    // places none itself): after the last fill, so every thread sees the whole
    // buffer; before the first, inside a loop, so no thread refills it while
    // another still reads the previous iteration's values.
    int first = -1, last = -1;
    if (auto_sync_)
      for (size_t i = 0; i < s->body.size(); ++i)
        if (writes_shared(s->body[i])) {
          if (first < 0) first = static_cast<int>(i);
          last = static_cast<int>(i);
        }
    for (size_t i = 0; i < s->body.size(); ++i) {
      if (static_cast<int>(i) == first && serial_depth_ > 0) barrier(indent, "before refilling shared memory");
      print_stmt(s->body[i], indent);
      if (static_cast<int>(i) == last && i + 1 < s->body.size()) barrier(indent, "after filling shared memory");
    }
  }

  void print_stmt(const Stmt& s, int indent) {
    switch (s->kind) {
      case StmtKind::Seq: print_seq(s, indent); return;
      case StmtKind::Store: {
        if (s.get() == accumulator_.store) {
          line(indent, fmt::format("{} = {};", accumulator_.name,
                                   combine(accumulator_.op, accumulator_.name, expr(accumulator_.rest))));
          return;
        }
        const ir::OpNode* buffer = s->buffer.get();
        store_line(indent, buffer, fmt::format("{}[{}]", buffer_name(buffer), flat_index(buffer, s->indices)),
                   expr(s->value));
        return;
      }
      case StmtKind::IfThenElse: {
        bool divergent = is_thread_var(s->condition);
        line(indent, fmt::format("if ({}) {{", expr(s->condition)));
        if (divergent) divergence_.push_back("a condition on a thread index");
        print_stmt(s->body[0], indent + 1);
        if (s->body.size() > 1) {
          line(indent, "} else {");
          print_stmt(s->body[1], indent + 1);
        }
        if (divergent) divergence_.pop_back();
        line(indent, "}");
        return;
      }
      case StmtKind::Sync: barrier(indent, "from the program"); return;
      case StmtKind::Allocate: print_allocate(s, indent); return;
      case StmtKind::For: print_for(s, indent); return;
    }
  }

  struct Accumulator {
    const lower::StmtNode* store = nullptr;
    ExprKind op = ExprKind::Add;
    Expr rest;
    std::string name;
  };

  std::string kernel_;
  const LaunchShape& shape_;
  bool auto_sync_;
  bool vector_access_;  // float4/float2 accesses where they apply
  std::vector<std::string> param_names_;
  std::string out_;
  std::vector<std::pair<std::string, int64_t>> shared_decls_;  // hoisted to the kernel's top
  std::unordered_set<const ir::OpNode*> shared_, local_;      // allocated around the current point
  std::unordered_set<const ir::ExprNode*> thread_vars_;
  std::vector<Expr> active_thread_vars_;  // thread-bound loops around the current point
  std::vector<std::string> divergence_;   // why the current point may run on some threads only
  int covered_[3] = {0, 0, 0};            // thread-bound loops around the current point, per axis
  int serial_depth_ = 0;                  // loops each thread iterates around the current point
  Accumulator accumulator_;               // the store that accumulates into a register instead
  std::unordered_map<const ir::ExprNode*, std::string> lane_names_;  // vector loads of the current loop
  std::string tid_, scratch_;             // the block's flat thread index and reduction scratch
};

}  // namespace

std::string codegen_cuda(const std::vector<LoweredFunc>& funcs) {
  // BCD_CUDA_VECTOR_ACCESS=0 keeps every access scalar: the ablation of vector
  // accesses on a device (bench/gpu_check.sh).
  const char* vector_env = std::getenv("BCD_CUDA_VECTOR_ACCESS");
  const bool vector_access = !(vector_env && std::string(vector_env) == "0");
  std::string header, kernels;
  std::unordered_set<std::string> func_names, kernel_names;
  for (const auto& f : funcs) {
    std::string fname = sanitize(f.name);
    if (!func_names.insert(fname).second) fail("two functions named {} in one module", f.name);

    // Global intermediate buffers are allocated around the whole body; the runtime
    // allocates them and passes them to every kernel after the params.
    std::vector<const lower::StmtNode*> intermediates;
    Stmt body = f.body;
    while (body->kind == StmtKind::Allocate && body->scope == MemScope::Global) {
      intermediates.push_back(body.get());
      body = body->body[0];
    }
    std::vector<Stmt> nests = body->kind == StmtKind::Seq ? body->body : std::vector<Stmt>{body};
    if (nests.empty()) fail("function {} computes nothing", f.name);

    std::vector<std::string> buffer_names;
    for (size_t k = 0; k < nests.size(); ++k) {
      std::string kernel = fmt::format("{}_k{}", fname, k);
      if (!kernel_names.insert(kernel).second) fail("two kernels named {} in one module", kernel);
      LaunchShape shape;
      scan_launch(nests[k], kernel, shape);
      check_launch(shape, kernel);
      KernelPrinter printer(f, intermediates, kernel, shape, vector_access);
      kernels += "\n" + printer.print(nests[k]);
      buffer_names = printer.param_names();
      header += fmt::format("// bcd-launch {} {} {} {} {} {} {} {}\n", fname, kernel, shape.grid[0], shape.grid[1],
                            shape.grid[2], shape.block[0], shape.block[1], shape.block[2]);
    }
    for (size_t i = 0; i < intermediates.size(); ++i)
      header += fmt::format("// bcd-buffer {} {} {}\n", fname, buffer_names[f.params.size() + i],
                            shape_size(intermediates[i]->alloc_shape));
  }
  return header + kPrelude + detail::scalar_helpers("__device__ __forceinline__") +
         "__device__ __forceinline__ float bcd_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }\n" + kernels;
}

}  // namespace bcd::codegen
