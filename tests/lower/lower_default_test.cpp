#include <gtest/gtest.h>

#include <random>

#include "codegen/codegen_c.h"
#include "ir/compute_dag.h"
#include "lower/lower.h"
#include "runtime/compiler.h"
#include "runtime/module.h"
#include "runtime/run_dag.h"
#include "schedule/hand_schedule.h"
#include "search/search_task.h"
#include "support/error.h"
#include "testing/lower_fixtures.h"

using namespace bcd;
using namespace bcd::ir;

namespace {

// C[2, 4] = A[2, 3] x B[3, 4].
ComputeDAG small_matmul_dag() {
  Tensor a = placeholder({2, 3}, "A");
  Tensor b = placeholder({3, 4}, "B");
  IterVar k = reduce_axis(3, "k");
  Tensor c = compute({2, 4}, [&](const std::vector<Expr>& i) { return sum(a(i[0], k.var) * b(k.var, i[1]), {k}); },
                     "C", "matmul");
  return ComputeDAG({a, b}, {c});
}

}  // namespace

TEST(LowerDefault, MatmulLoopProgramHasInitThenReduction) {
  lower::LoweredFunc f = lower::lower_default(small_matmul_dag(), "mm");
  EXPECT_EQ(lower::to_string(f),
            "func mm(A, B, C)\n"
            "  for C_i0 in 0..2\n"
            "    for C_i1 in 0..4\n"
            "      C[C_i0, C_i1] = 0f\n"
            "      for k in 0..3\n"
            "        C[C_i0, C_i1] = (C[C_i0, C_i1] + (A[C_i0, k] * B[k, C_i1]))\n");
}

TEST(LowerDefault, IntermediatesGetBuffersAndTheProgramRuns) {
  // y = exp(x) / sum(exp(x)) over a row, written as three stages.
  Tensor x = placeholder({3, 7}, "X");
  Tensor e = compute({3, 7}, [&](const std::vector<Expr>& i) { return exp(x(i[0], i[1])); }, "E", "exp");
  IterVar k = reduce_axis(7, "k");
  Tensor s = compute({3}, [&](const std::vector<Expr>& i) { return sum(e(i[0], k.var), {k}); }, "S", "sum");
  Tensor y = compute({3, 7}, [&](const std::vector<Expr>& i) { return e(i[0], i[1]) / s(i[0]); }, "Y", "div");
  ComputeDAG dag({x}, {y});
  std::string program = lower::to_string(lower::lower_default(dag, "f"));
  EXPECT_NE(program.find("allocate E[3, 7] global"), std::string::npos) << program;
  EXPECT_NE(program.find("allocate S[3] global"), std::string::npos) << program;

  NDArray in({3, 7});
  std::mt19937_64 rng(1);
  in.fill_random(rng);
  auto out = runtime::run_dag_default(dag, {&in});
  for (int r = 0; r < 3; ++r) {
    double total = 0;
    for (int c = 0; c < 7; ++c) total += out[0].at({r, c});
    EXPECT_NEAR(total, 1.0, 1e-5);
  }
}

TEST(LowerDefault, FloorDivisionOfNegativeIndicesIsFloorNotTruncation) {
  // out[i] = A[floormod(i - 3, 5)] * 10 + floordiv(i - 3, 5): i - 3 goes negative.
  Tensor a = placeholder({5}, "A");
  Tensor o = compute({7}, [&](const std::vector<Expr>& i) {
    Expr shifted = i[0] - 3;
    return a(floormod(shifted, 5)) * 10.0f + cast(DType::Float, floordiv(shifted, 5));
  }, "O", "gather");
  ComputeDAG dag({a}, {o});
  NDArray in({5});
  for (int j = 0; j < 5; ++j) in[j] = static_cast<float>(j);
  auto out = runtime::run_dag_default(dag, {&in});
  for (int i = 0; i < 7; ++i) {
    int q = (i - 3 < 0) ? -1 : (i - 3) / 5;
    int r = (i - 3) - q * 5;
    EXPECT_FLOAT_EQ(out[0][i], r * 10.0f + q) << "i = " << i;
  }
}

TEST(CodegenC, RejectsGpuBindingsWithAClearError) {
  Tensor a = placeholder({4}, "A");
  Tensor b = compute({4}, [&](const std::vector<Expr>& i) { return a(i[0]) * 2.0f; }, "B", "mul");
  ComputeDAG dag({a}, {b});
  lower::LoweredFunc f = lower::lower_default(dag, "k");
  const auto& loop = f.body;
  f.body = lower::make_for(loop->loop_var, loop->extent, lower::ForKind::ThreadIdxX, loop->body[0]);
  try {
    codegen::codegen_c({f});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("threadIdx.x"), std::string::npos) << e.what();
  }
}

TEST(CodegenC, EmulatesGpuBindingsSequentially) {
  // blockIdx.x over rows, threadIdx.x over columns and a barrier:
  // emulated, the program runs on the CPU and computes what the serial one does.
  Tensor a = placeholder({4, 8}, "A");
  Tensor b = compute({4, 8}, [&](const std::vector<Expr>& i) { return a(i[0], i[1]) * 2.0f; }, "B", "mul");
  ComputeDAG dag({a}, {b});
  lower::LoweredFunc f = lower::lower_default(dag, "emulated");
  const auto& outer = f.body;
  const auto& inner = outer->body[0];
  lower::Stmt threads = lower::make_for(inner->loop_var, inner->extent, lower::ForKind::ThreadIdxX,
                                        lower::make_seq({lower::make_sync(), inner->body[0]}));
  f.body = lower::make_for(outer->loop_var, outer->extent, lower::ForKind::BlockIdxX, threads);
  std::string src = codegen::codegen_c({f}, {.emulate_gpu = true});
  runtime::Kernel k = runtime::Module::from_source(src).get("emulated");
  NDArray in({4, 8}), out({4, 8});
  for (int64_t j = 0; j < in.size(); ++j) in[j] = static_cast<float>(j);
  k.run(std::vector<NDArray*>{&in, &out});
  for (int64_t j = 0; j < out.size(); ++j) EXPECT_FLOAT_EQ(out[j], 2.0f * j);
}

namespace {

// The default program of B[i, j] = A[i, j] * 3 + 1 with its two loops re-annotated.
lower::LoweredFunc annotated_affine(int64_t rows, int64_t cols, lower::ForKind outer_kind,
                                    lower::ForKind inner_kind, const std::string& name) {
  Tensor a = placeholder({rows, cols}, "A");
  Tensor b = compute({rows, cols}, [&](const std::vector<Expr>& i) { return a(i[0], i[1]) * 3.0f + 1.0f; }, "B",
                     "affine");
  lower::LoweredFunc f = lower::lower_default(ComputeDAG({a}, {b}), name);
  const auto& outer = f.body;
  const auto& inner = outer->body[0];
  f.body = lower::make_for(outer->loop_var, outer->extent, outer_kind,
                           lower::make_for(inner->loop_var, inner->extent, inner_kind, inner->body[0]));
  return f;
}

}  // namespace

TEST(CodegenC, AnnotatedLoopsCompileAndComputeTheSame) {
  // Parallel outer, vectorized inner: annotations change speed, not results. 80
  // lanes: a loop (64 or fewer are one vector statement).
  lower::LoweredFunc f =
      annotated_affine(16, 80, lower::ForKind::Parallel, lower::ForKind::Vectorized, "annotated");
  std::string src = codegen::codegen_c({f});
  EXPECT_NE(src.find("#pragma omp parallel for"), std::string::npos);
  EXPECT_NE(src.find("vectorize(assume_safety)"), std::string::npos);
}

TEST(CodegenC, UnrolledTilesLeaveTheLoopVectorizerTheRightLoop) {
  // Rows of 4 unrolled: the loop around them would become the innermost after
  // unrolling, and clang would vectorize it across rows (gathers): it must not.
  std::string short_rows =
      codegen::codegen_c({annotated_affine(16, 4, lower::ForKind::Serial, lower::ForKind::Unrolled, "short")});
  EXPECT_NE(short_rows.find("#pragma clang loop vectorize(disable)\n  for (int B_i0"), std::string::npos)
      << short_rows;
  EXPECT_NE(short_rows.find("unroll(full)"), std::string::npos) << short_rows;
  // Rows of 32 "unrolled": left a plain loop for the loop vectorizer, and the
  // loop around it is left alone.
  std::string long_rows =
      codegen::codegen_c({annotated_affine(16, 32, lower::ForKind::Serial, lower::ForKind::Unrolled, "long")});
  EXPECT_EQ(long_rows.find("unroll(full)"), std::string::npos) << long_rows;
  EXPECT_EQ(long_rows.find("vectorize(disable)"), std::string::npos) << long_rows;
}

TEST(CodegenC, ALoopAroundUnrolledRowsOfShortVectorsIsNotVectorizedEither) {
  // 4 unrolled rows of 4 vectorized columns: clang unrolls both, so the column-tile
  // loop around them becomes the innermost one; vectorized across its iterations
  // it gathered (a 7x7 conv's kernel-row loop: 17x slower). It must not be.
  Tensor a = placeholder({16, 32}, "A");
  Tensor b = compute({16, 32}, [&](const std::vector<Expr>& i) { return a(i[0], i[1]) + 1.0; }, "B", "add");
  schedule::HandSchedule h(ComputeDAG({a}, {b}));
  auto [r0, r1] = h.split2("B", "B_i0", 4);
  auto [c0, c1] = h.split2("B", "B_i1", 4);
  h.reorder("B", {r0, c0, r1, c1});
  h.unroll("B", r1);
  h.vectorize("B", c1);
  std::string src = codegen::codegen_c({lower::lower_state(h.state(), "tiles")});
  EXPECT_NE(src.find("vectorize(disable)\n    for (int B_i1_0"), std::string::npos) << src;
}

TEST(CodegenC, OnlyInnermostReductionLoopsAreReassociated) {
  // Reassociation lets clang vectorize a sum; asked for everywhere, clang 19's SLP
  // vectorizer miscompiled an unrolled conv tile (runtime/compiler.cpp). The
  // matmul's k loop is the only innermost reduction.
  std::string src = codegen::codegen_c({lower::lower_default(small_matmul_dag(), "mm")});
  size_t at = src.find("#pragma clang fp reassociate(on)");
  ASSERT_NE(at, std::string::npos) << src;
  EXPECT_EQ(src.find("#pragma clang fp reassociate(on)", at + 1), std::string::npos) << src;
  // The first line of the k loop's body.
  const std::string loop = "for (int k = 0; k < 3; ++k) {\n";
  size_t k_loop = src.find(loop);
  ASSERT_NE(k_loop, std::string::npos) << src;
  EXPECT_EQ(src.find_first_not_of(' ', k_loop + loop.size()), at) << src;
}

TEST(LowerState, AStageInsideItsConsumerRunsOnlyTheTileItComputes) {
  // The accumulator of 4 output columns, its columns split 4 x 2 for the whole row
  // of 16: as TVM's bound inference does, the part of 4 shrinks to the 2 the tile
  // needs, instead of running 4 with two of them guarded off.
  ComputeDAG dag = testutil::small_dense_dag();
  schedule::HandSchedule h(dag);
  std::string local = h.cache_write("out", "local");
  auto [j0, j1] = h.split2("out", "out_ax1", 4);
  h.reorder("out", {j0, "out_ax0", j1});
  h.compute_at(local, "out", j0);
  std::vector<std::string> parts = h.split(local, "out_i1", {4, 2});
  lower::LoweredFunc f = lower::lower_state(h.state(), "tight");
  std::string text = lower::to_string(f);
  EXPECT_NE(text.find("for " + parts[1] + " in 0..2"), std::string::npos) << text;
  EXPECT_EQ(text.find("if "), std::string::npos) << text;

  auto inputs = testutil::random_inputs(dag, 3);
  lower::LoweredFunc plain = lower::lower_default(dag, "plain");
  runtime::Module module = runtime::Module::from_source(codegen::codegen_c({f, plain}));
  std::vector<NDArray> outs;
  for (const auto& name : {"tight", "plain"}) {
    outs.emplace_back(std::vector<int64_t>{8, 16});
    outs.back().fill(12345.0f);
    module.get(name).run(std::vector<NDArray*>{&inputs[0], &inputs[1], &outs.back()});
  }
  EXPECT_TRUE(arrays_close(outs[0], outs[1], 1e-5, 1e-5));
}

TEST(CodegenC, VectorizedLoopBecomesSimdCode) {
  // The vectorize annotation must give packed SIMD arithmetic (ymm/zmm registers),
  // not just a hint the compiler ignores.
  lower::LoweredFunc f = annotated_affine(64, 64, lower::ForKind::Serial, lower::ForKind::Vectorized, "simd");
  std::string so = runtime::compile_shared_object(codegen::codegen_c({f}));
  std::string cmd = "objdump -d --no-show-raw-insn '" + so + "' 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string text;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) text += buf;
  pclose(pipe);
  if (text.empty()) GTEST_SKIP() << "objdump is not available";
  bool packed = text.find("ps") != std::string::npos &&
                (text.find("%ymm") != std::string::npos || text.find("%zmm") != std::string::npos);
  EXPECT_TRUE(packed) << "no packed ymm/zmm arithmetic in the vectorized kernel";
  // On an AVX-512 CPU the full width, not the 256-bit half clang prefers by default.
  if (search::detect_cpu().vector_lanes == 16) {
    EXPECT_NE(text.find("%zmm"), std::string::npos) << "AVX-512 CPU, but the vectorized kernel uses no zmm register";
  }
}

TEST(LowerState, AutoUnrollCountsAVectorizedLoopAsOneStep) {
  // A 4 x 32 register tile: rows unrolled around a vectorized row, as TVM unrolls
  // after vectorizing. With max step 16 the 4 rows (4 steps) unroll, the 128-wide
  // tile as a whole (8 x 4 steps = 32) does not.
  Tensor a = placeholder({32, 32}, "A");
  Tensor b = compute({32, 32}, [&](const std::vector<Expr>& i) { return a(i[0], i[1]) + 1.0; }, "B", "add");
  schedule::HandSchedule h(ComputeDAG({a}, {b}));
  auto [i0, i1] = h.split2("B", "B_i0", 4);
  h.vectorize("B", "B_i1");
  h.auto_unroll("B", 16);
  std::string text = lower::to_string(lower::lower_state(h.state(), "tile"));
  EXPECT_NE(text.find("for " + i1 + " in 0..4 [unroll]"), std::string::npos) << text;
  EXPECT_EQ(text.find("for " + i0 + " in 0..8 [unroll]"), std::string::npos) << text;
  EXPECT_NE(text.find("for B_i1 in 0..32 [vectorize]"), std::string::npos) << text;
}

TEST(CodegenC, LongUnrolledRegionsKeepTheirVectorizedLoopsLoops) {
  // 64 rows unrolled around a 96-wide vectorized row (a loop: 64 lanes or fewer
  // are one vector statement): 64 auto_unroll steps, but 6144 statements once
  // clang's full unroller also unrolls the vectorized row,
  // which LLVM's loop analyses take minutes over. The row must stay a loop there,
  // and in a short region (4 rows, 384 statements) be left to the unroller.
  auto program = [](int64_t rows) {
    Tensor a = placeholder({1024, 96}, "A");
    Tensor b = compute({1024, 96}, [&](const std::vector<Expr>& i) { return a(i[0], i[1]) * 2.0f + 1.0f; }, "B",
                       "affine");
    schedule::HandSchedule h(ComputeDAG({a}, {b}));
    h.split2("B", "B_i0", rows);
    h.vectorize("B", "B_i1");
    h.auto_unroll("B", 512);
    return lower::lower_state(h.state(), "rows" + std::to_string(rows));
  };
  std::string long_src = codegen::codegen_c({program(64)});
  EXPECT_NE(long_src.find("unroll(full)"), std::string::npos) << long_src;
  EXPECT_NE(long_src.find("vectorize(assume_safety) interleave(enable) unroll(disable)"), std::string::npos)
      << long_src;
  std::string short_src = codegen::codegen_c({program(4)});
  EXPECT_NE(short_src.find("unroll(full)"), std::string::npos) << short_src;
  EXPECT_EQ(short_src.find("unroll(disable)"), std::string::npos) << short_src;

  runtime::Kernel k = runtime::Module::from_source(long_src).get("rows64");
  NDArray in({1024, 96}), out({1024, 96});
  for (int64_t j = 0; j < in.size(); ++j) in[j] = static_cast<float>(j % 97);
  k.run(std::vector<NDArray*>{&in, &out});
  for (int64_t j = 0; j < out.size(); ++j) ASSERT_FLOAT_EQ(out[j], 2.0f * (j % 97) + 1.0f) << j;
}
