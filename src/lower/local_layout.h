// Local accumulators stored in the order of the loops that accumulate into them.
// A cache-write stage's buffer keeps its tensor's dimension order: conv2d.local[o, h,
// w] of a tile of 512 channels by 7 rows by 7 columns, accumulated one row at a time
// (loops h, o, w), touches 512 runs of 7 floats 49 floats apart: a working set
// spread over the whole 100 KB buffer. Stored as [h, o, w], each row's accumulators
// are one contiguous 14 KB block. The buffer is private to its allocation, so its
// layout is the program's to choose and no pack is needed: the same kernel
// signature, the same function.
#pragma once
#include "lower/loop_ir.h"

namespace bcd::lower {

// Every local-scope buffer accumulated by a store whose indices are an exact
// mixed-radix sum of the loops around it (lower/mixed_radix.h) gets one dimension per
// such loop digit, outermost loop first. Its other accesses (the initialization and
// the copy-out, whose loops split it differently) are rewritten by floordiv/floormod
// of their indices, simplified over their loops' ranges. Buffers with no such store,
// already stored in loop order, or whose loops would put another digit innermost
// (clang then vectorizes with gathers) other than a vectorized innermost loop's,
// are left as they are. The result computes
// the same function as `f`.
LoweredFunc reorder_local_accumulators(const LoweredFunc& f);

}  // namespace bcd::lower
