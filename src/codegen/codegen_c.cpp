#include "codegen/codegen_c.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <unordered_set>

#include "codegen/c_vector_math.h"
#include "codegen/c_vector_statement.h"
#include "codegen/expr_printer.h"
#include "codegen/kernel_scratch.h"
#include "ir/expr_functor.h"
#include "ir/simplify.h"
#include "support/error.h"
#include "support/ndarray.h"

namespace bcd::codegen {

using ir::Expr;
using ir::ExprKind;
using lower::ForKind;
using lower::MemScope;
using lower::Stmt;
using lower::StmtKind;

using detail::check_size;
using detail::has_loop_carried_store;
using detail::sanitize;

namespace {

// Every translation unit starts with these, then the scalar helpers.
const char* kIncludes = R"(#include <math.h>
#include <stdint.h>
#include <stdlib.h>
)";

// A vectorized reduction this long or longer fills a vector (8 floats: AVX) and is
// kept from the full unroller; a shorter one is left to it.
constexpr int64_t kMinVectorReduction = 8;
// An unrolled innermost loop this long or longer is left a plain loop: clang's loop
// vectorizer makes vector code of it, while fully unrolled it is straight-line code
// the SLP vectorizer handles worse, and the loop around it becomes the innermost
// one, which the loop vectorizer then vectorizes across (with gathers).
constexpr int64_t kMinVectorLoop = 8;
// An unrolled region is straight-line code in the innermost loop around it, and
// LLVM's loop access analysis (run on innermost loops by the loop vectorizer and
// loop load elimination) compares its memory accesses pairwise. auto_unroll counts
// a vectorized loop as one step (as TVM, where it is one vector statement), but
// clang's full unroller unrolls it too: 224 copies of a 16-lane loop (3584
// statements) took clang 19 57 s. In a region that would unroll to more statements
// than this the vectorized loops stay loops (each is vectorized alone), which
// bounds the region by the auto_unroll step count.
constexpr int64_t kMaxUnrolledStatements = 1024;

// A heap buffer comes from bcd_take: its place in the caller's scratch, or
// aligned_alloc without one. Both are opaque calls, as malloc and free are, and
// bcd_take is declared malloc-like: clang then knows, as it does of a malloc'd
// buffer, that the buffer aliases nothing else (a pointer computed into the scratch
// in place made clang keep a conv's padded input from vectorizing as it did: 1.5x
// slower); and no access to a buffer moves past its bcd_give_back, which ends its
// use of those bytes before a later buffer reuses them.
constexpr const char* kScratchHelpers = "bcd_take";
constexpr const char* kScratchHelperSource =
    "__attribute__((noinline, malloc, assume_aligned(64))) static void* bcd_take(char* scratch, int64_t offset, "
    "int64_t bytes) {\n"
    "  return scratch ? (void*)(scratch + offset) : aligned_alloc(64, bytes);\n}\n"
    "__attribute__((noinline)) static void bcd_give_back(void* buffer, char* scratch) {\n"
    "  if (!scratch) free(buffer);\n}\n";

bool contains_loop(const Stmt& s) {
  if (s->kind == StmtKind::For) return true;
  for (const auto& b : s->body)
    if (contains_loop(b)) return true;
  return false;
}

// How a loop is printed: an unrolled innermost loop of kMinVectorLoop or more
// iterations as a plain (vectorizable) loop.
ForKind printed_kind(const Stmt& loop) {
  if (loop->for_kind == ForKind::Unrolled && loop->extent >= kMinVectorLoop && !contains_loop(loop->body[0]))
    return ForKind::Serial;
  return loop->for_kind;
}

// A vectorized loop clang keeps a loop: a long reduction (see print_stmt). Other
// vectorized loops with constant trip counts its full unroller unrolls.
bool kept_vector_loop(const Stmt& loop) {
  return has_loop_carried_store(loop->body[0], loop->loop_var) && loop->extent >= kMinVectorReduction;
}

// The statements `s` becomes once clang's full unroller is done with it: unrolled
// loops and vectorized ones multiply their bodies, a loop that stays a loop counts
// once.
int64_t unrolled_statements(const Stmt& s) {
  switch (s->kind) {
    case StmtKind::For: {
      ForKind kind = printed_kind(s);
      bool unrolled = kind == ForKind::Unrolled || (kind == ForKind::Vectorized && !kept_vector_loop(s));
      return unrolled ? s->extent * unrolled_statements(s->body[0]) : 1;
    }
    case StmtKind::Store:
    case StmtKind::Sync: return 1;
    default: {
      int64_t n = 0;
      for (const auto& b : s->body) n += unrolled_statements(b);
      return std::max<int64_t>(n, 1);
    }
  }
}

// True if every store in `s` writes a constant: an accumulator's initialization.
bool fills_constants(const Stmt& s) {
  if (s->kind == StmtKind::Store)
    return s->value->kind == ir::ExprKind::FloatImm || s->value->kind == ir::ExprKind::IntImm;
  return std::all_of(s->body.begin(), s->body.end(), fills_constants);
}

// True if `s` holds loops and clang's full unroller unrolls every one of them (an
// unrolled loop, or a vectorized one it does not keep a loop): the loop around `s`
// becomes the innermost after unrolling.
bool only_unrolled_loops(const Stmt& s) {
  bool any = false, all = true;
  std::function<void(const Stmt&)> visit = [&](const Stmt& x) {
    if (x->kind == StmtKind::For) {
      any = true;
      ForKind kind = printed_kind(x);
      all = all && (kind == ForKind::Unrolled || (kind == ForKind::Vectorized && !kept_vector_loop(x)));
    }
    for (const auto& b : x->body) visit(b);
  };
  visit(s);
  return any && all;
}

class FunctionPrinter : detail::ExprPrinter {
 public:
  // `globals`: the names of the functions of the translation unit (every kernel's
  // and its packed entry's, and the helpers printed so far); helpers get new ones.
  FunctionPrinter(std::unordered_set<std::string>& globals, const CodegenCOptions& options)
      : globals_(globals), options_(options) {
    vector_math_ = true;
  }

  std::string print(const lower::LoweredFunc& f) {
    fname_ = sanitize(f.name);
    std::string params;
    for (size_t i = 0; i < f.params.size(); ++i) {
      const auto& p = f.params[i];
      const bool slice = i + 1 == f.params.size() && !f.output_array_shape.empty();
      if (slice) {
        BCD_CHECK(f.output_array_shape.size() == p->shape.size() &&
                      std::ranges::equal(p->shape, f.output_array_shape, std::less_equal<>()),
                  "{}: output of shape {} is not a slice of an array of shape {}", f.name, shape_string(p->shape),
                  shape_string(f.output_array_shape));
      }
      shapes_[p.get()] = slice ? f.output_array_shape : p->shape;
      check_size(shapes_[p.get()], p->name);
      std::string name = buffer_name(p.get());
      params += fmt::format("{}float* restrict {}", i ? ", " : "", name);
      in_scope_.push_back({"float* restrict", name});
    }
    scratch_ = plan_scratch(f);
    if (!scratch_.need.empty()) {
      // The caller's scratch (kernel_scratch.h), and how many threads have a slice of it.
      scratch_name_ = unique("bcd_scratch");
      slices_name_ = unique("bcd_slices");
      params += fmt::format("{}char* restrict {}, int {}", params.empty() ? "" : ", ", scratch_name_, slices_name_);
      in_scope_.push_back({"char* restrict", scratch_name_});
      in_scope_.push_back({"int", slices_name_});
    }
    out_ = fmt::format("void {}({}) {{\n", fname_, params);
    print_stmt(f.body, 1);
    out_ += "}\n";
    auto call = [&](const std::string& scratch_args) {
      std::string args;
      for (size_t i = 0; i < f.params.size(); ++i) args += fmt::format("{}(float*)args[{}]", i ? ", " : "", i);
      if (!scratch_.need.empty()) args += fmt::format("{}{}", args.empty() ? "" : ", ", scratch_args);
      return fmt::format("  {}({});\n  return 0;\n}}\n", fname_, args);
    };
    // Without a scratch every heap buffer is allocated by the kernel itself.
    out_ += fmt::format("int {}_packed(void** args) {{\n", fname_) + call("0, 0");
    if (!scratch_.need.empty())
      out_ += fmt::format("int {}_packed_scratch(void** args, void* scratch, int slices) {{\n", fname_) +
              call("(char*)scratch, slices");
    std::string declarations = vector_types_;
    if (!scratch_.need.empty() && globals_.insert(kScratchHelpers).second) declarations += kScratchHelperSource;
    if (scratch_.need.per_thread_bytes > 0) declarations += "int omp_get_thread_num(void);\n";
    return declarations + helpers_ + out_;
  }

 private:
  void line(int indent, const std::string& text) { out_ += std::string(indent * 2, ' ') + text + "\n"; }

  // The body of an outermost parallel loop becomes a function of its own, called
  // from the loop. Clang's OpenMP lowering hands the loop body the kernel's pointers
  // through memory, which drops their `restrict`: clang then cannot tell the
  // kernel's buffers from each other, and keeps a schedule's local accumulator tile
  // in memory, loaded and stored around every multiply-add, instead of in registers
  // across the reduction loops (measured: half the speed of a register-tiled conv).
  // The helper takes every buffer and loop variable in scope as a parameter, the
  // buffers `restrict` again: each is a distinct allocation, as in the signature.
  void print_outlined_parallel_loop(const Stmt& s, const std::string& v, int indent) {
    std::string helper;
    do {
      helper = unique(fmt::format("{}_parallel{}", fname_, num_helpers_++));
    } while (!globals_.insert(helper).second);
    std::string params, args;
    for (const auto& [type, name] : in_scope_) {
      params += fmt::format("{}{} {}", params.empty() ? "" : ", ", type, name);
      args += fmt::format("{}{}", args.empty() ? "" : ", ", name);
    }
    params += fmt::format("{}int {}", params.empty() ? "" : ", ", v);
    args += fmt::format("{}{}", args.empty() ? "" : ", ", v);

    line(indent, "#pragma omp parallel for schedule(static)");
    line(indent, fmt::format("for (int {0} = 0; {0} < {1}; ++{0}) {{", v, s->extent));
    line(indent + 1, fmt::format("{}({});", helper, args));
    line(indent, "}");

    std::string caller = std::move(out_);
    out_ = fmt::format("static void {}({}) {{\n", helper, params);
    ++parallel_depth_;
    print_stmt(s->body[0], 1);
    --parallel_depth_;
    out_ += "}\n\n";
    helpers_ += out_;
    out_ = std::move(caller);
  }

  void print_stmt(const Stmt& s, int indent) {
    switch (s->kind) {
      case StmtKind::Seq:
        for (const auto& b : s->body) print_stmt(b, indent);
        return;
      case StmtKind::Store:
        line(indent, fmt::format("{}[{}] = {};", buffer_name(s->buffer.get()),
                                 flat_index(s->buffer.get(), s->indices), expr(s->value)));
        return;
      case StmtKind::IfThenElse:
        line(indent, fmt::format("if ({}) {{", expr(s->condition)));
        print_stmt(s->body[0], indent + 1);
        if (s->body.size() > 1) {
          line(indent, "} else {");
          print_stmt(s->body[1], indent + 1);
        }
        line(indent, "}");
        return;
      case StmtKind::Sync:
        if (!options_.emulate_gpu) fail("the C generator cannot emit a GPU thread barrier");
        return;
      case StmtKind::Allocate: {
        check_size(s->alloc_shape, s->buffer->name);
        std::string name = buffer_name(s->buffer.get());
        shapes_[s->buffer.get()] = s->alloc_shape;
        int64_t bytes = shape_size(s->alloc_shape) * 4;
        if (s->scope == MemScope::Shared && !options_.emulate_gpu)
          fail("the C generator cannot emit GPU shared memory ({})", name);
        line(indent, "{");
        in_scope_.push_back({"float* restrict", name});
        if (!allocates_on_heap(*s)) {
          line(indent + 1, fmt::format("float {}[{}] __attribute__((aligned(64)));", name,
                                       shape_size(s->alloc_shape)));
          print_stmt(s->body[0], indent + 1);
        } else {
          // From the caller's scratch when it gave one (a slice of it for this
          // thread, inside the parallel loop), else from the heap.
          const ScratchSlot& slot = scratch_.slots.at(s.get());
          std::string scratch = scratch_name_, offset = std::to_string(slot.offset);
          if (slot.per_thread) {
            // The thread's slice, if the scratch has one for it.
            const std::string thread = unique(name + "_thread");
            scratch = unique(name + "_scratch");
            line(indent + 1, fmt::format("const int {} = omp_get_thread_num();", thread));
            line(indent + 1, fmt::format("char* {} = {} < {} ? {} : 0;", scratch, thread, slices_name_, scratch_name_));
            offset = fmt::format("{} + (int64_t){} * {} + {}", scratch_.need.shared_bytes, thread,
                                 scratch_.need.per_thread_bytes, slot.offset);
          }
          line(indent + 1, fmt::format("float* restrict {} = (float*)bcd_take({}, {}, {});", name, scratch, offset,
                                       (bytes + 63) / 64 * 64));
          print_stmt(s->body[0], indent + 1);
          line(indent + 1, fmt::format("bcd_give_back({}, {});", name, scratch));
        }
        in_scope_.pop_back();
        line(indent, "}");
        shapes_.erase(s->buffer.get());
        return;
      }
      case StmtKind::For: {
        if (lower::is_gpu_binding(s->for_kind) && !options_.emulate_gpu)
          fail("the C generator cannot emit GPU binding {} (loop {})", lower::for_kind_name(s->for_kind),
               s->loop_var->name);
        std::string v = unique(s->loop_var->name);
        vars_[s->loop_var.get()] = v;
        ranges_[s->loop_var.get()] = ir::Interval{0, s->extent - 1};
        // Nested parallel loops would oversubscribe: only the outermost forks.
        if (s->for_kind == ForKind::Parallel && parallel_depth_ == 0) {
          print_outlined_parallel_loop(s, v, indent);
          ranges_.erase(s->loop_var.get());
          return;
        }
        const ForKind kind = printed_kind(s);
        if (kind == ForKind::Vectorized && print_vector_statement(s, indent)) {
          ranges_.erase(s->loop_var.get());
          return;
        }
        switch (kind) {
          case ForKind::Vectorized:
            if (kept_vector_loop(s)) {
              // A reduction: clang's full unroller runs before the loop vectorizer
              // and unrolls short constant loops, and what the SLP vectorizer makes
              // of an unrolled reduction is a chain of scalar adds or gathers
              // (measured: the 16-lane sums after an rfactor took 3x longer). Kept a
              // loop, it is the loop vectorizer's, which sums in vector registers.
              line(indent, "#pragma clang loop vectorize(enable) interleave(enable) unroll(disable)");
            } else {
              // A short reduction is left to the full unroller, like an independent row.
              std::string pragma = has_loop_carried_store(s->body[0], s->loop_var)
                                       ? "#pragma clang loop vectorize(enable) interleave(enable)"
                                       : "#pragma clang loop vectorize(assume_safety) interleave(enable)";
              line(indent, in_long_unroll_ ? pragma + " unroll(disable)" : pragma);
            }
            break;
          case ForKind::Unrolled: line(indent, "#pragma clang loop unroll(full)"); break;
          case ForKind::Serial: {
            std::string options;
            // Vectorized across its iterations, a loop around an unrolled tile reads
            // with gathers (measured 10x slower than leaving the tile to SLP; and
            // 17x on a 7x7 conv whose 3-iteration kernel-row loop clang vectorized
            // 4 wide around a 2 x 7 x 7-lane tile).
            if (only_unrolled_loops(s->body[0])) options += " vectorize(disable)";
            // clang's unroller finds a nest of constant stores free to unroll, and its
            // instruction selection is quadratic in the stores of a block: a 98 KB
            // zero fill (a 16 x 192 loop nest around a 4 x 2 tile) unrolled into 6144
            // vector stores took more than 150 s to compile.
            if (s->for_kind == ForKind::Serial && contains_loop(s->body[0]) && fills_constants(s->body[0]))
              options += " unroll(disable)";
            if (!options.empty()) line(indent, "#pragma clang loop" + options);
            break;
          }
          default: break;
        }
        line(indent, fmt::format("for (int {0} = 0; {0} < {1}; ++{0}) {{", v, s->extent));
        // Reassociation, which clang needs to vectorize a floating-point reduction,
        // only in innermost reduction loops (see the compiler flags in
        // runtime/compiler.cpp for why not everywhere).
        if ((kind == ForKind::Vectorized || kind == ForKind::Serial) && !contains_loop(s->body[0]) &&
            has_loop_carried_store(s->body[0], s->loop_var))
          line(indent + 1, "#pragma clang fp reassociate(on)");
        in_scope_.push_back({"int", v});
        bool enclosing_long_unroll = in_long_unroll_;
        if (kind == ForKind::Unrolled && !in_long_unroll_ && unrolled_statements(s) > kMaxUnrolledStatements)
          in_long_unroll_ = true;
        print_stmt(s->body[0], indent + 1);
        in_long_unroll_ = enclosing_long_unroll;
        in_scope_.pop_back();
        line(indent, "}");
        ranges_.erase(s->loop_var.get());
        return;
      }
    }
  }

  // A short vectorized loop of a length no vector width divides as one statement on
  // a vector of that length (c_vector_statement.h), where it qualifies.
  bool print_vector_statement(const Stmt& loop, int indent) {
    if (!options_.vector_statements || options_.emulate_gpu || kept_vector_loop(loop) ||
        !detail::wants_vector_statement(loop->extent) || loop->body[0]->kind != StmtKind::Store)
      return false;
    std::optional<std::string> statement = detail::print_vector_statement(
        *loop->body[0], loop->loop_var, loop->extent, ranges_,
        [&](const ir::OpNode* b, const std::vector<Expr>& indices) { return flat_expr(b, indices); },
        [&](const Expr& e) { return expr(e); }, [&](const ir::OpNode* b) { return buffer_name(b); });
    if (!statement) return false;
    if (globals_.insert(detail::vector_type_name(loop->extent)).second)
      vector_types_ += detail::vector_type_definition(loop->extent);
    line(indent, *statement);
    return true;
  }

  std::unordered_set<std::string>& globals_;
  const CodegenCOptions& options_;
  std::string fname_;
  std::string out_;
  std::string helpers_;  // outlined parallel loop bodies, printed before the kernel
  std::string vector_types_;  // the vector types this kernel introduces to the translation unit
  int num_helpers_ = 0;
  bool in_long_unroll_ = false;  // inside a loop that unrolls to more than kMaxUnrolledStatements
  // C type and name of every buffer and loop variable visible at the current point.
  std::vector<std::pair<std::string, std::string>> in_scope_;
  int parallel_depth_ = 0;
  ScratchPlan scratch_;  // where the heap buffers go when the caller gives a scratch
  std::string scratch_name_, slices_name_;
};

}  // namespace

std::string codegen_c(const std::vector<lower::LoweredFunc>& funcs, const CodegenCOptions& given) {
  CodegenCOptions options = given;
  if (const char* env = std::getenv("BCD_C_VECTOR_STATEMENTS"); env && std::string(env) == "0")
    options.vector_statements = false;
  std::string src = kIncludes + detail::scalar_helpers("static inline") + detail::c_vector_math_helpers();
  std::unordered_set<std::string> kernels, globals;
  for (const auto& f : funcs) {
    std::string name = sanitize(f.name);
    if (!kernels.insert(name).second) fail("two kernels named {} in one module", f.name);
    for (const auto& g : {name, name + "_packed"})
      if (!globals.insert(g).second) fail("kernel {}: the module already has a function named {}", f.name, g);
  }
  for (const auto& f : funcs) src += "\n" + FunctionPrinter(globals, options).print(f);
  return src;
}

}  // namespace bcd::codegen
