// The CUDA generator on hand-made loop programs: each GPU construct comes out as
// the right CUDA, the launch header has the right dims, and the source compiles
// with NVRTC (where bcd was built with it; NVRTC needs no device).
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "codegen/codegen_cuda.h"
#include "ir/tensor.h"
#include "runtime/cuda_compiler.h"
#include "support/error.h"

using namespace bcd;
using ir::Expr;
using ir::int_imm;
using ir::load;
using lower::ForKind;
using lower::make_allocate;
using lower::make_for;
using lower::make_seq;
using lower::make_store;
using lower::MemScope;

namespace {

ir::OpRef buffer(const std::string& name, std::vector<int64_t> shape) {
  return ir::placeholder(std::move(shape), name).op();
}

// Generates the source and, where NVRTC is available, checks that it compiles to
// PTX with an entry for every kernel the header launches.
std::string generate_and_compile(const std::vector<lower::LoweredFunc>& funcs) {
  std::string src = codegen::codegen_cuda(funcs);
  if (runtime::nvrtc_available()) {
    std::string ptx_path;
    try {
      ptx_path = runtime::compile_cuda(src, "compute_80");
    } catch (const Error& e) {
      ADD_FAILURE() << e.what() << "\n" << src;
      return src;
    }
    std::ifstream in(ptx_path);
    std::stringstream ptx;
    ptx << in.rdbuf();
    std::istringstream header(src);
    std::string line;
    while (std::getline(header, line) && line.rfind("// bcd-", 0) == 0) {
      if (line.rfind("// bcd-launch ", 0) != 0) continue;
      std::istringstream fields(line.substr(14));
      std::string func, kernel;
      fields >> func >> kernel;
      EXPECT_NE(ptx.str().find(".entry " + kernel), std::string::npos) << kernel;
    }
  }
  return src;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(CodegenCuda, SharedBufferFilledCooperativelyBetweenBarriers) {
  // Each block of 32 threads sums two 32-element slices of A, staged through shared
  // memory that 16 threads fill (two elements each) inside the consumer's thread loop.
  ir::OpRef a = buffer("A", {256}), b = buffer("B", {128}), s = buffer("A_shared", {32});
  Expr bx = ir::var("bx"), tx = ir::var("tx"), k = ir::var("k"), f = ir::var("f"), g = ir::var("g");
  Expr out = bx * int_imm(32) + tx;
  auto fetch = make_for(f, 16, ForKind::ThreadIdxX,
                        make_for(g, 2, ForKind::Unrolled,
                                 make_store(s, {f * int_imm(2) + g},
                                            load(a, {k * int_imm(128) + bx * int_imm(32) + f * int_imm(2) + g}))));
  auto use = make_store(b, {out}, load(b, {out}) + load(s, {int_imm(31) - tx}));
  auto body = make_for(
      bx, 4, ForKind::BlockIdxX,
      make_for(tx, 32, ForKind::ThreadIdxX,
               make_seq({make_store(b, {out}, ir::float_imm(0.0)),
                         make_for(k, 2, ForKind::Serial,
                                  make_allocate(s, {32}, MemScope::Shared, make_seq({fetch, use})))})));
  std::string src = generate_and_compile({{"staged", {a, b}, body}});

  EXPECT_NE(src.find("// bcd-launch staged staged_k0 4 1 1 32 1 1\n"), std::string::npos) << src;
  EXPECT_NE(src.find("__shared__ float A_shared[32];"), std::string::npos) << src;
  EXPECT_NE(src.find("const int tx = (int)threadIdx.x;"), std::string::npos) << src;
  // The nested fetch loop reads threadIdx.x too, guarded to its 16 threads.
  EXPECT_NE(src.find("if ((int)threadIdx.x < 16) {"), std::string::npos) << src;
  EXPECT_NE(src.find("const int f = (int)threadIdx.x;"), std::string::npos) << src;
  // A barrier before refilling (inside the k loop) and one after the fill.
  size_t loop = src.find("for (int k = 0;"), before = src.find("__syncthreads();", loop),
         fill = src.find("A_shared[", before), after = src.find("__syncthreads();", fill),
         read = src.find("A_shared[((tx * -1) + 31)]", after);
  ASSERT_NE(loop, std::string::npos) << src;
  EXPECT_LT(before, fill) << src;
  EXPECT_LT(fill, after) << src;
  EXPECT_NE(read, std::string::npos) << src;
  EXPECT_EQ(count(src, "__syncthreads();"), 2u) << src;
  EXPECT_NE(src.find("__launch_bounds__(32)"), std::string::npos) << src;
}

TEST(CodegenCuda, ProgramBarriersAreKeptAndNoneAdded) {
  ir::OpRef a = buffer("A", {64}), b = buffer("B", {64}), s = buffer("S", {64});
  Expr tx = ir::var("tx"), f = ir::var("f");
  auto body = make_allocate(
      s, {64}, MemScope::Shared,
      make_seq({make_for(f, 64, ForKind::ThreadIdxX, make_store(s, {f}, load(a, {f}))), lower::make_sync(),
                make_for(tx, 64, ForKind::ThreadIdxX, make_store(b, {tx}, load(s, {int_imm(63) - tx})))}));
  std::string src = generate_and_compile({{"explicit_sync", {a, b}, body}});
  EXPECT_EQ(count(src, "__syncthreads();"), 1u) << src;
  EXPECT_NE(src.find("// bcd-launch explicit_sync explicit_sync_k0 1 1 1 64 1 1\n"), std::string::npos) << src;
}

TEST(CodegenCuda, VthreadAndUnrolledLoopsAreUnrolled) {
  ir::OpRef a = buffer("A", {128}), b = buffer("B", {128});
  Expr bx = ir::var("bx"), vt = ir::var("vt"), tx = ir::var("tx"), u = ir::var("u");
  Expr idx = bx * int_imm(64) + vt * int_imm(32) + tx * int_imm(4) + u;
  auto body = make_for(
      bx, 2, ForKind::BlockIdxX,
      make_for(vt, 2, ForKind::Vthread,
               make_for(tx, 8, ForKind::ThreadIdxX,
                        make_for(u, 4, ForKind::Unrolled, make_store(b, {idx}, load(a, {idx}) + ir::float_imm(1.0))))));
  std::string src = generate_and_compile({{"unrolled", {a, b}, body}});
  EXPECT_NE(src.find("// bcd-launch unrolled unrolled_k0 2 1 1 8 1 1\n"), std::string::npos) << src;
  EXPECT_EQ(count(src, "#pragma unroll\n"), 2u) << src;
  EXPECT_NE(src.find("for (int vt = 0; vt < 2; ++vt)"), std::string::npos) << src;
  EXPECT_NE(src.find("for (int u = 0; u < 4; ++u)"), std::string::npos) << src;
  EXPECT_NE(src.find("const int bx = (int)blockIdx.x;"), std::string::npos) << src;
  // Every element is written by its own thread: no single-thread guard.
  EXPECT_EQ(src.find("== 0)"), std::string::npos) << src;
}

TEST(CodegenCuda, StoresOutsideThreadLoopsRunOnThreadZero) {
  // C[b] = 0 is outside every thread loop: one thread per block writes it. The
  // block is 8 x 4 threads; the y loop covers the second store only.
  ir::OpRef a = buffer("A", {4, 4, 8}), b = buffer("B", {4, 4, 8}), c = buffer("C", {4}), l = buffer("L", {1});
  Expr bx = ir::var("bx"), ty = ir::var("ty"), tx = ir::var("tx");
  auto body = make_for(
      bx, 4, ForKind::BlockIdxX,
      make_seq({make_store(c, {bx}, ir::float_imm(0.0)),
                make_allocate(l, {1}, MemScope::Local,
                              make_seq({make_store(l, {int_imm(0)}, ir::float_imm(2.0)),
                                        make_for(ty, 4, ForKind::ThreadIdxY,
                                                 make_for(tx, 8, ForKind::ThreadIdxX,
                                                          make_store(b, {bx, ty, tx},
                                                                     load(a, {bx, ty, tx}) * load(l, {int_imm(0)}))))})),
                make_for(tx, 8, ForKind::ThreadIdxX, make_store(b, {bx, int_imm(0), tx}, ir::float_imm(1.0)))}));
  std::string src = generate_and_compile({{"single", {a, b, c}, body}});
  EXPECT_NE(src.find("// bcd-launch single single_k0 4 1 1 8 4 1\n"), std::string::npos) << src;
  EXPECT_NE(src.find("if (threadIdx.x == 0 && threadIdx.y == 0) C[bx] = 0.0f;"), std::string::npos) << src;
  // A local buffer is each thread's own: every thread writes it.
  EXPECT_NE(src.find("float L[1];"), std::string::npos) << src;
  EXPECT_NE(src.find("  L[0] = 2.0f;"), std::string::npos) << src;
  // Inside the x loop but outside any y loop: thread row 0 only.
  EXPECT_NE(src.find("if (threadIdx.y == 0) B[((bx * 32) + tx_1)] = 1.0f;"), std::string::npos) << src;
}

TEST(CodegenCuda, CrossThreadSumBecomesABlockReduction) {
  // C[b] = sum over 48 threads x 2 of A: a reduction loop bound to threadIdx.x
  // (48 threads: not a power of two) with a serial reduction loop inside.
  ir::OpRef a = buffer("A", {4, 96}), c = buffer("C", {4});
  Expr bx = ir::var("bx"), tx = ir::var("tx"), k = ir::var("k");
  auto body = make_for(
      bx, 4, ForKind::BlockIdxX,
      make_seq({make_store(c, {bx}, ir::float_imm(0.0)),
                make_for(tx, 48, ForKind::ThreadIdxX,
                         make_for(k, 2, ForKind::Serial,
                                  make_store(c, {bx}, load(c, {bx}) + load(a, {bx, k * int_imm(48) + tx}))))}));
  std::string src = generate_and_compile({{"rowsum", {a, c}, body}});
  EXPECT_NE(src.find("// bcd-launch rowsum rowsum_k0 4 1 1 48 1 1\n"), std::string::npos) << src;
  EXPECT_NE(src.find("float C_partial = 0.0f;"), std::string::npos) << src;
  EXPECT_NE(src.find("C_partial = (C_partial + A["), std::string::npos) << src;
  EXPECT_NE(src.find("__shared__ float bcd_red[48];"), std::string::npos) << src;
  EXPECT_NE(src.find("bcd_red[bcd_tid] = C_partial;"), std::string::npos) << src;
  EXPECT_NE(src.find("for (int s = 32; s > 0; s >>= 1) {"), std::string::npos) << src;
  EXPECT_NE(src.find("if (threadIdx.x == 0) C[bx] = (C[bx] + bcd_red[bcd_tid - (int)threadIdx.x]);"),
            std::string::npos)
      << src;
  // The initial store and the final one are the same thread's: no race on C.
  EXPECT_NE(src.find("if (threadIdx.x == 0) C[bx] = 0.0f;"), std::string::npos) << src;
}

TEST(CodegenCuda, CrossThreadMaxAlongXInsideRowsBoundToY) {
  // M[r] = max over 8 threads of A[r, t]; rows bound to threadIdx.y, so the tree
  // reduces each row's 8 partials separately.
  ir::OpRef a = buffer("A", {4, 8}), m = buffer("M", {4});
  Expr ty = ir::var("ty"), tx = ir::var("tx");
  auto body = make_for(
      ty, 4, ForKind::ThreadIdxY,
      make_seq({make_store(m, {ty}, ir::float_imm(-std::numeric_limits<double>::infinity())),
                make_for(tx, 8, ForKind::ThreadIdxX, make_store(m, {ty}, ir::max(load(m, {ty}), load(a, {ty, tx}))))}));
  std::string src = generate_and_compile({{"rowmax", {a, m}, body}});
  EXPECT_NE(src.find("// bcd-launch rowmax rowmax_k0 1 1 1 8 4 1\n"), std::string::npos) << src;
  EXPECT_NE(src.find("float M_partial = (-INFINITY);"), std::string::npos) << src;
  EXPECT_NE(src.find("M_partial = bcd_maxf(M_partial, A["), std::string::npos) << src;
  EXPECT_NE(src.find("if (threadIdx.x == 0) M[ty] = bcd_maxf(M[ty], bcd_red[bcd_tid - (int)threadIdx.x]);"),
            std::string::npos)
      << src;
}

TEST(CodegenCuda, IntermediateBuffersAndOneKernelPerRootNest) {
  // T = A * 2 in a first kernel, B = T + 1 in a second; T is the function's
  // intermediate buffer, passed to both kernels after the params.
  ir::OpRef a = buffer("A", {6, 50}), t = buffer("T", {6, 50}), b = buffer("B", {6, 50});
  Expr i = ir::var("i"), j = ir::var("j"), p = ir::var("p"), q = ir::var("q");
  auto first = make_for(i, 6, ForKind::BlockIdxX,
                        make_for(j, 50, ForKind::ThreadIdxX, make_store(t, {i, j}, load(a, {i, j}) * ir::float_imm(2.0))));
  auto second = make_for(p, 3, ForKind::BlockIdxY,
                         make_for(q, 100, ForKind::ThreadIdxX,
                                  make_store(b, {p * int_imm(2) + ir::floordiv(q, int_imm(50)), ir::floormod(q, int_imm(50))},
                                             load(t, {p * int_imm(2) + ir::floordiv(q, int_imm(50)), ir::floormod(q, int_imm(50))}) +
                                                 ir::float_imm(1.0))));
  auto body = make_allocate(t, {6, 50}, MemScope::Global, make_seq({first, second}));
  std::string src = generate_and_compile({{"two", {a, b}, body}});
  EXPECT_EQ(src.rfind("// bcd-launch two two_k0 6 1 1 50 1 1\n"
                      "// bcd-launch two two_k1 1 3 1 100 1 1\n"
                      "// bcd-buffer two T 300\n",
                      0),
            0u)
      << src;
  EXPECT_NE(src.find("extern \"C\" __global__ void __launch_bounds__(50) two_k0(float* __restrict__ A, "
                     "float* __restrict__ B, float* __restrict__ T)"),
            std::string::npos)
      << src;
  EXPECT_NE(src.find("two_k1(float* __restrict__ A, float* __restrict__ B, float* __restrict__ T)"),
            std::string::npos)
      << src;
}

TEST(CodegenCuda, MathCallsAndFloorDivisionUseDeviceFunctions) {
  ir::OpRef a = buffer("A", {16}), b = buffer("B", {16});
  Expr tx = ir::var("tx");
  Expr shifted = tx - int_imm(3);
  Expr v = ir::exp(load(a, {tx})) + ir::erf(load(a, {tx})) + ir::tanh(load(a, {tx})) + ir::sigmoid(load(a, {tx})) +
           ir::sqrt(ir::abs(load(a, {tx}))) + ir::pow(load(a, {tx}), ir::float_imm(2.0)) +
           ir::log(ir::float_imm(1.5)) + ir::min(load(a, {tx}), ir::float_imm(0.5)) +
           ir::cast(ir::DType::Float, ir::floordiv(shifted, int_imm(4)) + ir::floormod(shifted, int_imm(4)));
  auto body = make_for(tx, 16, ForKind::ThreadIdxX, make_store(b, {tx}, v));
  std::string src = generate_and_compile({{"math", {a, b}, body}});
  for (const char* fn : {"expf(", "erff(", "tanhf(", "bcd_sigmoid(", "sqrtf(", "fabsf(", "powf(", "logf(",
                         "bcd_minf(", "bcd_floordiv(", "bcd_floormod("})
    EXPECT_NE(src.find(fn), std::string::npos) << fn << "\n" << src;
  EXPECT_EQ(src.find("#include"), std::string::npos) << "NVRTC has no system headers";
}

TEST(CodegenCuda, ParallelLoopFailsNamingIt) {
  ir::OpRef a = buffer("A", {16}), b = buffer("B", {16});
  Expr i = ir::var("i_outer");
  auto body = make_for(i, 16, ForKind::Parallel, make_store(b, {i}, load(a, {i})));
  std::string message = error_of([&] { codegen::codegen_cuda({{"cpu", {a, b}, body}}); });
  EXPECT_NE(message.find("i_outer"), std::string::npos) << message;
  EXPECT_NE(message.find("parallel"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(CodegenCuda, OversizeBlockFailsNamingTheLoops) {
  ir::OpRef a = buffer("A", {64, 64}), b = buffer("B", {64, 64});
  Expr y = ir::var("rows"), x = ir::var("cols");
  auto body = make_for(y, 64, ForKind::ThreadIdxY,
                       make_for(x, 64, ForKind::ThreadIdxX, make_store(b, {y, x}, load(a, {y, x}))));
  std::string message = error_of([&] { codegen::codegen_cuda({{"big", {a, b}, body}}); });
  EXPECT_NE(message.find("4096 threads"), std::string::npos) << message;
  EXPECT_NE(message.find("rows"), std::string::npos) << message;
  EXPECT_NE(message.find("cols"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;

  ir::OpRef c = buffer("C", {2048});
  Expr t = ir::var("t_wide");
  auto wide = make_for(t, 2048, ForKind::ThreadIdxX, make_store(c, {t}, ir::float_imm(0.0)));
  message = error_of([&] { codegen::codegen_cuda({{"wide", {c}, wide}}); });
  EXPECT_NE(message.find("t_wide"), std::string::npos) << message;
}

TEST(CodegenCuda, MismatchedGridLoopsAndUnhandledThreadAccumulationFail) {
  ir::OpRef a = buffer("A", {8}), b = buffer("B", {8});
  Expr i = ir::var("i"), j = ir::var("j");
  auto twice = make_for(i, 4, ForKind::BlockIdxX,
                        make_for(j, 2, ForKind::BlockIdxX, make_store(b, {i * int_imm(2) + j}, load(a, {i}))));
  std::string message = error_of([&] { codegen::codegen_cuda({{"grid", {a, b}, twice}}); });
  EXPECT_NE(message.find("blockIdx.x"), std::string::npos) << message;

  // B[0] = A[t] under a thread loop: every thread overwrites one element.
  auto overwrite = make_for(i, 8, ForKind::ThreadIdxX, make_store(b, {int_imm(0)}, load(a, {i})));
  message = error_of([&] { codegen::codegen_cuda({{"last", {a, b}, overwrite}}); });
  EXPECT_NE(message.find("loop i bound to threadIdx.x"), std::string::npos) << message;
}

TEST(CodegenCuda, BarrierUnderThreadConditionFails) {
  // A shared fill inside a thread loop guarded to fewer threads than the block:
  // the barrier after it would be reached by some threads only.
  ir::OpRef a = buffer("A", {64}), b = buffer("B", {64}), s = buffer("S", {32});
  Expr t = ir::var("t"), u = ir::var("u"), f = ir::var("f");
  auto inner = make_for(u, 32, ForKind::ThreadIdxX,
                        make_allocate(s, {32}, MemScope::Shared,
                                      make_seq({make_for(f, 32, ForKind::ThreadIdxX, make_store(s, {f}, load(a, {f}))),
                                                make_store(b, {u}, load(s, {u}))})));
  auto body = make_seq({make_for(t, 64, ForKind::ThreadIdxX, make_store(b, {t}, load(a, {t}))), inner});
  std::string message = error_of([&] { codegen::codegen_cuda({{"divergent", {a, b}, make_for(ir::var("bx"), 1, ForKind::BlockIdxX, body)}}); });
  EXPECT_NE(message.find("barrier"), std::string::npos) << message;
  EXPECT_NE(message.find("loop u covers 32 of 64 threads"), std::string::npos) << message;
}
