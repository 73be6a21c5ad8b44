// Hand-made GPU loop programs, one per construct the CUDA generator handles; shared
// by the tests of the generated text and the tests that run it on the host.
#pragma once
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "lower/loop_ir.h"

namespace bcd::testutil {

// A float buffer of `shape` named `name`, for hand-built loop programs.
ir::OpRef buffer(const std::string& name, std::vector<int64_t> shape);
// The flat index of an access to a 1-D buffer (such as those above): its index.
inline ir::Expr flat_1d(const ir::OpNode*, const std::vector<ir::Expr>& indices) { return indices[0]; }

// Each block of 32 threads sums two 32-element slices of A, staged through shared
// memory that 16 threads fill (two elements each) inside the consumer's thread loop.
lower::LoweredFunc staged_program();  // "staged"
// B[t] = A[63 - t] through shared memory, with the barrier placed by the program.
lower::LoweredFunc explicit_sync_program();  // "explicit_sync"
// B = A + 1 over blockIdx.x x vthread x threadIdx.x x an unrolled loop.
lower::LoweredFunc unrolled_program();  // "unrolled"
// C[b] = 0 is outside every thread loop: one thread per block writes it. The
// block is 8 x 4 threads; the y loop covers the second store only.
lower::LoweredFunc single_thread_program();  // "single"
// C[b] = sum over 48 threads x 2 of A: a reduction loop bound to threadIdx.x
// (48 threads: not a power of two) with a serial reduction loop inside.
lower::LoweredFunc rowsum_program();  // "rowsum"
// M[r] = max over 8 threads of A[r, t]; rows bound to threadIdx.y, so the tree
// reduces each row's 8 partials separately.
lower::LoweredFunc rowmax_program();  // "rowmax"
// T = A * 2 in a first kernel, B = T + 1 in a second; T is the function's
// intermediate buffer, passed to both kernels after the params.
lower::LoweredFunc two_kernel_program();  // "two"
// Every math call, float min and floor division/modulo of negative values.
lower::LoweredFunc math_program();  // "math"
// Rows of B over 2 blocks x 4 threads, each thread's row in a serial loop of
// `extent`: B[row, v] = A[row, offset + stride * v] * 2 + C[t], A's rows
// extent * stride + offset long. Which accesses may be vector accesses depends on
// the three numbers (codegen/vector_access.h).
lower::LoweredFunc row_program(const std::string& name, int64_t extent, int64_t offset, int64_t stride);
// B[row, v] = A[row, v] > 0 ? D[row, v] : 0 over 8 rows of 8: D is read only where
// chosen.
lower::LoweredFunc select_program();  // "chosen" ("select" would be libc's)

}  // namespace bcd::testutil
