#include "codegen/kernel_scratch.h"

#include <algorithm>

#include "support/ndarray.h"

namespace bcd::codegen {

namespace {

int64_t aligned64(int64_t bytes) { return (bytes + 63) / 64 * 64; }

// One walk in program order: buffers are scoped, so each part of the scratch is a
// stack whose high-water mark is what the part needs.
class Planner {
 public:
  explicit Planner(ScratchPlan& plan) : plan_(plan) {}

  void visit(const lower::Stmt& s) {
    if (!s) return;
    if (s->kind == lower::StmtKind::For && s->for_kind == lower::ForKind::Parallel) {
      // Only the outermost parallel loop forks (codegen_c): below it every
      // buffer is a thread's own.
      const bool was = in_parallel_;
      in_parallel_ = true;
      for (const auto& b : s->body) visit(b);
      in_parallel_ = was;
      return;
    }
    if (s->kind == lower::StmtKind::Allocate && allocates_on_heap(*s)) {
      int64_t& top = in_parallel_ ? thread_top_ : shared_top_;
      int64_t& need = in_parallel_ ? plan_.need.per_thread_bytes : plan_.need.shared_bytes;
      plan_.slots[s.get()] = {.per_thread = in_parallel_, .offset = top};
      const int64_t bytes = aligned64(shape_size(s->alloc_shape) * static_cast<int64_t>(sizeof(float)));
      top += bytes;
      need = std::max(need, top);
      for (const auto& b : s->body) visit(b);
      top -= bytes;
      return;
    }
    for (const auto& b : s->body) visit(b);
  }

 private:
  ScratchPlan& plan_;
  bool in_parallel_ = false;
  int64_t shared_top_ = 0, thread_top_ = 0;
};

}  // namespace

bool allocates_on_heap(const lower::StmtNode& allocate) {
  const int64_t bytes = shape_size(allocate.alloc_shape) * static_cast<int64_t>(sizeof(float));
  return allocate.scope == lower::MemScope::Global || bytes > kMaxStackBytes;
}

ScratchPlan plan_scratch(const lower::LoweredFunc& f) {
  ScratchPlan plan;
  Planner(plan).visit(f.body);
  return plan;
}

}  // namespace bcd::codegen
