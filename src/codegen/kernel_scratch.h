// Where a C kernel's heap buffers live when its caller plans them. A buffer the
// kernel cannot keep on its stack (global scope: a padded input or another stage
// computed at the root; or a local one over 64 KiB) is allocated and freed by the
// kernel on every call, unless the caller hands it a scratch area: then each such
// buffer is a fixed offset into it. A buffer outside the kernel's parallel loop is
// in the shared part; one inside it gets a slice per OpenMP thread, as every thread
// allocates its own. Compiled packages plan the scratch in their workspace, so a
// network run allocates nothing and its memory is known before it starts.
#pragma once
#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "lower/loop_ir.h"

namespace bcd::codegen {

// Stack arrays above this many bytes go to the heap instead.
constexpr int64_t kMaxStackBytes = 64 * 1024;

// The scratch a kernel takes: [shared_bytes][one slice of per_thread_bytes per thread].
struct KernelScratch {
  int64_t shared_bytes = 0;      // buffers outside the parallel loop
  int64_t per_thread_bytes = 0;  // buffers inside it, per thread
  bool empty() const { return shared_bytes == 0 && per_thread_bytes == 0; }
  // The bytes for `threads` threads.
  int64_t bytes(int64_t threads) const { return shared_bytes + per_thread_bytes * threads; }
  // How many threads have a slice in a scratch of `room` bytes (packages print the
  // same rule in C); the others allocate their own buffers.
  int slices(int64_t room) const {
    if (per_thread_bytes == 0 || room < shared_bytes) return 0;
    return static_cast<int>(std::min<int64_t>((room - shared_bytes) / per_thread_bytes, kMaxSlices));
  }
  static constexpr int64_t kMaxSlices = 65536;
};

struct ScratchSlot {
  bool per_thread = false;
  int64_t offset = 0;  // into the shared part, or into the thread's slice
};

struct ScratchPlan {
  KernelScratch need;
  std::unordered_map<const lower::StmtNode*, ScratchSlot> slots;  // Allocate -> its place
};

// Is this Allocate statement a heap buffer (not a stack array) in generated C?
bool allocates_on_heap(const lower::StmtNode& allocate);

// Places the heap buffers of `f`: nested ones side by side, disjoint scopes
// sharing bytes, every offset a multiple of 64.
ScratchPlan plan_scratch(const lower::LoweredFunc& f);

}  // namespace bcd::codegen
