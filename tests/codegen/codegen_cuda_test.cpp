// The CUDA generator on hand-made loop programs: each GPU construct comes out as
// the right CUDA, the launch header has the right dims, and the source compiles
// with NVRTC (where bcd was built with it; NVRTC needs no device).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "codegen/codegen_cuda.h"
#include "codegen/gpu_programs.h"
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

using testutil::buffer;

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
  std::string src = generate_and_compile({testutil::staged_program()});

  EXPECT_NE(src.find("// bcd-launch staged staged_k0 4 1 1 32 1 1\n"), std::string::npos) << src;
  EXPECT_NE(src.find("__shared__ __align__(16) float A_shared[32];"), std::string::npos) << src;
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
  std::string src = generate_and_compile({testutil::explicit_sync_program()});
  EXPECT_EQ(count(src, "__syncthreads();"), 1u) << src;
  EXPECT_NE(src.find("// bcd-launch explicit_sync explicit_sync_k0 1 1 1 64 1 1\n"), std::string::npos) << src;
}

TEST(CodegenCuda, VthreadAndUnrolledLoopsAreUnrolled) {
  std::string src = generate_and_compile({testutil::unrolled_program()});
  EXPECT_NE(src.find("// bcd-launch unrolled unrolled_k0 2 1 1 8 1 1\n"), std::string::npos) << src;
  EXPECT_EQ(count(src, "#pragma unroll\n"), 2u) << src;
  EXPECT_NE(src.find("for (int vt = 0; vt < 2; ++vt)"), std::string::npos) << src;
  // The unrolled loop reads and writes 4 contiguous, aligned floats: one vector
  // access each (codegen/vector_access.h).
  EXPECT_NE(src.find("for (int u_vec = 0; u_vec < 1; ++u_vec)"), std::string::npos) << src;
  EXPECT_NE(src.find("const float4 vec = bcd_load4(&A["), std::string::npos) << src;
  EXPECT_NE(src.find("bcd_store4(&B["), std::string::npos) << src;
  EXPECT_NE(src.find("(vec.w + 1.0f));"), std::string::npos) << src;
  EXPECT_NE(src.find("const int bx = (int)blockIdx.x;"), std::string::npos) << src;
  // Every element is written by its own thread: no single-thread guard.
  EXPECT_EQ(src.find("== 0)"), std::string::npos) << src;
}

TEST(CodegenCuda, StoresOutsideThreadLoopsRunOnThreadZero) {
  std::string src = generate_and_compile({testutil::single_thread_program()});
  EXPECT_NE(src.find("// bcd-launch single single_k0 4 1 1 8 4 1\n"), std::string::npos) << src;
  EXPECT_NE(src.find("if (threadIdx.x == 0 && threadIdx.y == 0) C[bx] = 0.0f;"), std::string::npos) << src;
  // A local buffer is each thread's own: every thread writes it.
  EXPECT_NE(src.find("float L[1];"), std::string::npos) << src;
  EXPECT_NE(src.find("  L[0] = 2.0f;"), std::string::npos) << src;
  // Inside the x loop but outside any y loop: thread row 0 only.
  EXPECT_NE(src.find("if (threadIdx.y == 0) B[((bx * 32) + tx_1)] = 1.0f;"), std::string::npos) << src;
}

TEST(CodegenCuda, CrossThreadSumBecomesABlockReduction) {
  std::string src = generate_and_compile({testutil::rowsum_program()});
  EXPECT_NE(src.find("// bcd-launch rowsum rowsum_k0 4 1 1 48 1 1\n"), std::string::npos) << src;
  EXPECT_NE(src.find("float C_partial = 0.0f;"), std::string::npos) << src;
  EXPECT_NE(src.find("C_partial = (C_partial + A["), std::string::npos) << src;
  EXPECT_NE(src.find("__shared__ __align__(16) float bcd_red[48];"), std::string::npos) << src;
  EXPECT_NE(src.find("bcd_red[bcd_tid] = C_partial;"), std::string::npos) << src;
  EXPECT_NE(src.find("for (int s = 32; s > 0; s >>= 1) {"), std::string::npos) << src;
  EXPECT_NE(src.find("if (threadIdx.x == 0) C[bx] = (C[bx] + bcd_red[bcd_tid - (int)threadIdx.x]);"),
            std::string::npos)
      << src;
  // The initial store and the final one are the same thread's: no race on C.
  EXPECT_NE(src.find("if (threadIdx.x == 0) C[bx] = 0.0f;"), std::string::npos) << src;
}

TEST(CodegenCuda, CrossThreadMaxAlongXInsideRowsBoundToY) {
  std::string src = generate_and_compile({testutil::rowmax_program()});
  EXPECT_NE(src.find("// bcd-launch rowmax rowmax_k0 1 1 1 8 4 1\n"), std::string::npos) << src;
  EXPECT_NE(src.find("float M_partial = (-INFINITY);"), std::string::npos) << src;
  EXPECT_NE(src.find("M_partial = bcd_maxf(M_partial, A["), std::string::npos) << src;
  EXPECT_NE(src.find("if (threadIdx.x == 0) M[ty] = bcd_maxf(M[ty], bcd_red[bcd_tid - (int)threadIdx.x]);"),
            std::string::npos)
      << src;
}

TEST(CodegenCuda, IntermediateBuffersAndOneKernelPerRootNest) {
  std::string src = generate_and_compile({testutil::two_kernel_program()});
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
  std::string src = generate_and_compile({testutil::math_program()});
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

// Vector accesses (codegen/vector_access.h): contiguous, provably aligned accesses
// to global or shared memory become float4/float2; the rest stay scalar per lane.
TEST(CodegenCuda, ContiguousAlignedAccessesBecomeFloat4) {
  std::string src = generate_and_compile({testutil::row_program("rows", 8, 0, 1)});
  EXPECT_NE(src.find("for (int v_vec = 0; v_vec < 2; ++v_vec) {"), std::string::npos) << src;
  EXPECT_NE(src.find("const float4 vec = bcd_load4(&A[(((bx * 32) + (tx * 8)) + (v_vec * 4))]);"), std::string::npos)
      << src;
  EXPECT_NE(src.find("bcd_store4(&B["), std::string::npos) << src;
  // C[tx] is the same for every lane: a scalar load in each.
  EXPECT_EQ(count(src, "C[tx]"), 4u) << src;
  EXPECT_NE(src.find("((vec.w * 2.0f) + C[tx])"), std::string::npos) << src;
}

TEST(CodegenCuda, SixIterationsGoTwoAtATime) {
  std::string src = generate_and_compile({testutil::row_program("pairs", 6, 0, 1)});
  EXPECT_NE(src.find("for (int v_vec = 0; v_vec < 3; ++v_vec) {"), std::string::npos) << src;
  EXPECT_NE(src.find("const float2 vec = bcd_load2(&A["), std::string::npos) << src;
  EXPECT_NE(src.find("bcd_store2(&B["), std::string::npos) << src;
  EXPECT_EQ(src.find("bcd_load4(&"), std::string::npos) << src;
}

TEST(CodegenCuda, MisalignedOrStridedAccessesStayScalar) {
  // A's rows are 9 long and start at element 1: contiguous but not aligned.
  std::string shifted = generate_and_compile({testutil::row_program("shifted", 8, 1, 1)});
  EXPECT_EQ(shifted.find("bcd_load"), shifted.rfind("bcd_load4(const float* p)")) << "no vector load of A\n" << shifted;
  EXPECT_NE(shifted.find("A[((((bx * 36) + (tx * 9)) + ((v_vec * 4) + 3)) + 1)]"), std::string::npos) << shifted;
  EXPECT_NE(shifted.find("bcd_store4(&B["), std::string::npos) << shifted;
  // Every other element: not contiguous.
  std::string strided = generate_and_compile({testutil::row_program("strided", 8, 0, 2)});
  EXPECT_EQ(count(strided, "bcd_load4(&"), 0u) << strided;
  EXPECT_NE(strided.find("bcd_store4(&B["), std::string::npos) << strided;
}

TEST(CodegenCuda, LoadsUnderASelectBranchStayScalar) {
  std::string src = generate_and_compile({testutil::select_program()});
  EXPECT_NE(src.find("const float4 vec = bcd_load4(&A["), std::string::npos) << src;
  EXPECT_EQ(count(src, "bcd_load4(&"), 1u) << "D is read only where chosen\n" << src;
  EXPECT_NE(src.find("(vec.x > 0.0f) ? D["), std::string::npos) << src;
  EXPECT_NE(src.find("bcd_store4(&B["), std::string::npos) << src;
}

TEST(CodegenCuda, VectorAccessesCanBeTurnedOffForAnAblation) {
  ::setenv("BCD_CUDA_VECTOR_ACCESS", "0", 1);
  std::string scalar = codegen::codegen_cuda({testutil::row_program("rows", 8, 0, 1)});
  ::unsetenv("BCD_CUDA_VECTOR_ACCESS");
  EXPECT_EQ(count(scalar, "bcd_load4(&"), 0u) << scalar;
  EXPECT_EQ(count(scalar, "bcd_store4(&"), 0u) << scalar;
  EXPECT_NE(scalar.find("for (int v = 0; v < 8; ++v) {"), std::string::npos) << scalar;
}
