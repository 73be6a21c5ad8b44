// Local accumulators stored in the order of the loops that accumulate into them.
// A cache-write stage's buffer keeps its tensor's dimension order: conv2d.local[o, h,
// w] is accumulated by loops ..., o2, w2, ..., o3 (unrolled), w3 (vectorized). When
// the innermost tile of w is 1, the unrolled o3 statements touch elements h*w apart
// and clang's vectorizer cannot make one vector of them, although the rewritten
// weight they multiply is contiguous in o3; stored as [.., o2, w2, o3] they are
// neighbours too. The buffer is private to its allocation, so its layout is the
// program's to choose and no pack is needed: the same kernel signature, faster loops.
#pragma once
#include "lower/loop_ir.h"

namespace bcd::lower {

// Every local-scope buffer accumulated by a store whose indices are an exact
// mixed-radix sum of the loops around it (lower/mixed_radix.h) gets one dimension per
// such loop digit, outermost loop first. Its other accesses (the initialization and
// the copy-out, whose loops split it differently) are rewritten by floordiv/floormod
// of their indices, simplified over their loops' ranges. Buffers with no such store,
// or already stored in loop order, are left as they are. The result computes the
// same function as `f`.
LoweredFunc reorder_local_accumulators(const LoweredFunc& f);

}  // namespace bcd::lower
