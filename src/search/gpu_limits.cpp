#include "search/gpu_limits.h"

#include <fmt/format.h>

#include <array>

#include "lower/lower.h"
#include "support/error.h"

namespace bcd::search {

using lower::ForKind;
using lower::MemScope;
using lower::Stmt;
using lower::StmtKind;

namespace {

int64_t elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Block x, y, z then thread x, y, z; -1 for other loops.
int bound_dim(ForKind k) {
  switch (k) {
    case ForKind::BlockIdxX: return 0;
    case ForKind::BlockIdxY: return 1;
    case ForKind::BlockIdxZ: return 2;
    case ForKind::ThreadIdxX: return 3;
    case ForKind::ThreadIdxY: return 4;
    case ForKind::ThreadIdxZ: return 5;
    default: return -1;
  }
}

void walk_kernel(const Stmt& s, std::array<int64_t, 6> bound, int64_t vthreads, GpuKernelUsage& u) {
  if (!s) return;
  switch (s->kind) {
    case StmtKind::For: {
      int d = bound_dim(s->for_kind);
      if (d >= 0) {
        if (bound[d] != 0 && bound[d] != s->extent)
          fail("loops bound to {} are nested with extents {} and {}", lower::for_kind_name(s->for_kind), bound[d],
               s->extent);
        bound[d] = s->extent;
        int64_t threads = std::max<int64_t>(bound[3], 1) * std::max<int64_t>(bound[4], 1) * std::max<int64_t>(bound[5], 1);
        u.threads_per_block = std::max(u.threads_per_block, threads);
      } else if (s->for_kind == ForKind::Vthread) {
        vthreads *= s->extent;
        u.vthreads = std::max(u.vthreads, vthreads);
      }
      break;
    }
    case StmtKind::Allocate:
      if (s->scope == MemScope::Shared) u.shared_bytes += elements(s->alloc_shape) * 4;
      if (s->scope == MemScope::Local) u.local_words_per_thread += elements(s->alloc_shape);
      break;
    default: break;
  }
  for (const auto& b : s->body) walk_kernel(b, bound, vthreads, u);
}

void collect_kernels(const Stmt& s, std::vector<GpuKernelUsage>& out) {
  if (!s) return;
  // Global buffers and the sequence of root stages surround the kernels.
  if (s->kind == StmtKind::Seq || (s->kind == StmtKind::Allocate && s->scope == MemScope::Global)) {
    for (const auto& b : s->body) collect_kernels(b, out);
    return;
  }
  GpuKernelUsage u;
  walk_kernel(s, {}, 1, u);
  out.push_back(u);
}

}  // namespace

std::vector<GpuKernelUsage> gpu_kernel_usage(const lower::LoweredFunc& f) {
  std::vector<GpuKernelUsage> out;
  collect_kernels(f.body, out);
  return out;
}

std::string gpu_limit_violation(const HardwareParams& hw, const lower::LoweredFunc& f) {
  std::vector<GpuKernelUsage> kernels;
  try {
    kernels = gpu_kernel_usage(f);
  } catch (const InternalError& e) {
    note_swallowed(e);
    return e.what();
  } catch (const Error& e) {
    return e.what();
  }
  for (size_t k = 0; k < kernels.size(); ++k) {
    const GpuKernelUsage& u = kernels[k];
    if (u.threads_per_block > hw.max_threads_per_block)
      return fmt::format("kernel {}: {} threads per block (at most {})", k, u.threads_per_block,
                         hw.max_threads_per_block);
    if (u.vthreads > hw.max_vthread_extent)
      return fmt::format("kernel {}: {} virtual threads (at most {})", k, u.vthreads, hw.max_vthread_extent);
    if (u.shared_bytes > hw.max_shared_memory_per_block)
      return fmt::format("kernel {}: {} bytes of shared memory (at most {})", k, u.shared_bytes,
                         hw.max_shared_memory_per_block);
    if (u.local_words_per_thread * u.threads_per_block > hw.max_local_memory_per_block)
      return fmt::format("kernel {}: {} local words x {} threads (at most {} registers)", k,
                         u.local_words_per_thread, u.threads_per_block, hw.max_local_memory_per_block);
  }
  return "";
}

void check_gpu_limits(const SearchTask& task, const schedule::State& state) {
  std::string why = gpu_limit_violation(task.hardware(), lower::lower_state(state, "gpu_limits"));
  if (!why.empty()) fail("the GPU program breaks a hardware limit: {}", why);
}

}  // namespace bcd::search
