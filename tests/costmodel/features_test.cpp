// Features of hand-built loop nests, checked against numbers worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "costmodel/features.h"
#include "ir/tensor.h"
#include "support/error.h"

using namespace bcd;
using namespace bcd::ir;
using namespace bcd::lower;
using costmodel::feature_index;

namespace {

double slog(double x) { return std::log2(1 + x); }

// Value of a named column in a row.
float at(const costmodel::FeatureRow& row, const std::string& name) { return row[feature_index(name)]; }

#define EXPECT_COL(row, name, expected) EXPECT_NEAR(at(row, name), (expected), 1e-4) << name

Stmt loop(const Expr& v, int64_t extent, ForKind kind, Stmt body) { return make_for(v, extent, kind, std::move(body)); }

}  // namespace

TEST(FeatureNames, WidthMatchesNamesAndNamesAreUnique) {
  const auto& names = costmodel::feature_names();
  EXPECT_EQ(static_cast<int>(names.size()), costmodel::num_features());
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  EXPECT_EQ(names.front(), "float_mad");
  EXPECT_EQ(feature_index("buf4.stride"), feature_index("arith_intensity.0") - 1);

  Tensor a = placeholder({4}, "A");
  Tensor c = placeholder({4}, "C");
  Expr i = var("i");
  LoweredFunc f{"k", {a.op(), c.op()}, loop(i, 4, ForKind::Serial, make_store(c.op(), {i}, a(i) * 2.0f))};
  auto feats = costmodel::extract_features(f);
  ASSERT_EQ(feats.rows.size(), 1u);
  EXPECT_EQ(static_cast<int>(feats.rows[0].size()), costmodel::num_features());
  EXPECT_THROW(feature_index("no_such_column"), InternalError);
}

// C[i, j] = A[i, j] + B[i, j] over 16x16 with j vectorized.
TEST(FeatureExtraction, VectorizedAdd16x16) {
  Tensor a = placeholder({16, 16}, "A"), b = placeholder({16, 16}, "B"), c = placeholder({16, 16}, "C");
  Expr i = var("i"), j = var("j");
  Stmt body = loop(i, 16, ForKind::Serial,
                   loop(j, 16, ForKind::Vectorized, make_store(c.op(), {i, j}, a(i, j) + b(i, j))));
  auto feats = costmodel::extract_features({"add", {a.op(), b.op(), c.op()}, body});
  ASSERT_EQ(feats.rows.size(), 1u);
  const auto& r = feats.rows[0];

  EXPECT_COL(r, "float_addsub", slog(256));
  EXPECT_COL(r, "float_mad", 0);
  EXPECT_COL(r, "float_mul", 0);
  EXPECT_COL(r, "vec_num", slog(1));
  EXPECT_COL(r, "vec_len", slog(16));
  EXPECT_COL(r, "vec_prod", slog(16));
  EXPECT_COL(r, "vec_pos.inner_spatial", 1);
  EXPECT_COL(r, "vec_pos.none", 0);
  EXPECT_COL(r, "unroll_pos.none", 1);
  EXPECT_COL(r, "parallel_len", 0);
  EXPECT_COL(r, "is_gpu", 0);
  EXPECT_COL(r, "blockIdx.x_len", 0);
  EXPECT_COL(r, "threadIdx.x_len", 0);
  EXPECT_COL(r, "outer_prod", slog(256));
  EXPECT_COL(r, "num_loops", slog(2));
  EXPECT_COL(r, "alloc_size", 0);

  // Three buffers, all alike: 256 accesses of 4 bytes, 1 KiB touched, unit
  // stride, 16 cache lines; no reuse. Ties keep the write first.
  EXPECT_COL(r, "buf0.acc.write", 1);
  EXPECT_COL(r, "buf1.acc.read", 1);
  EXPECT_COL(r, "buf2.acc.read", 1);
  for (std::string k : {"buf0.", "buf1.", "buf2."}) {
    EXPECT_COL(r, k + "bytes", slog(1024));
    EXPECT_COL(r, k + "unique_bytes", slog(1024));
    EXPECT_COL(r, k + "lines", slog(16));
    EXPECT_COL(r, k + "unique_lines", slog(16));
    EXPECT_COL(r, k + "stride", slog(1));
    EXPECT_COL(r, k + "reuse.none", 1);
    EXPECT_COL(r, k + "reuse_ct", 0);
    EXPECT_COL(r, k + "bytes_d_reuse_ct", slog(2048));
  }
  // The two unused slots are all zero.
  EXPECT_COL(r, "buf3.acc.read", 0);
  EXPECT_COL(r, "buf4.bytes", 0);
  // One add per 12 bytes at every level.
  for (int s = 0; s < 10; ++s) EXPECT_COL(r, "arith_intensity." + std::to_string(s), 1.0 / 12);
}

// for i (parallel, 4): for j (8): { C[i,j] = 0; for k (unrolled, 16): C[i,j] = C[i,j] + A[i,k]*B[k,j] }
TEST(FeatureExtraction, MatmulFlopsReuseAndAnnotations) {
  const int64_t M = 4, N = 8, K = 16;
  Tensor a = placeholder({M, K}, "A"), b = placeholder({K, N}, "B"), c = placeholder({M, N}, "C");
  Expr i = var("i"), j = var("j"), k = var("k");
  Stmt init = make_store(c.op(), {i, j}, float_imm(0));
  Stmt update = make_store(c.op(), {i, j}, c(i, j) + a(i, k) * b(k, j));
  Stmt body = loop(i, M, ForKind::Parallel,
                   loop(j, N, ForKind::Serial, make_seq({init, loop(k, K, ForKind::Unrolled, update)})));
  auto feats = costmodel::extract_features({"mm", {a.op(), b.op(), c.op()}, body});
  ASSERT_EQ(feats.rows.size(), 2u);
  const auto& ri = feats.rows[0];
  const auto& ru = feats.rows[1];

  // Init: 32 stores of a constant, no arithmetic.
  EXPECT_COL(ri, "float_mad", 0);
  EXPECT_COL(ri, "outer_prod", slog(32));
  EXPECT_COL(ri, "buf0.acc.write", 1);
  EXPECT_COL(ri, "buf0.bytes", slog(128));
  EXPECT_COL(ri, "buf1.bytes", 0);
  EXPECT_COL(ri, "parallel_pos.outer_spatial", 1);
  EXPECT_COL(ri, "unroll_num", 0);
  EXPECT_COL(ri, "arith_intensity.9", 0);

  // Update: one multiply-add per iteration, M*N*K of them.
  EXPECT_COL(ru, "float_mad", slog(M * N * K));
  EXPECT_COL(ru, "float_addsub", 0);
  EXPECT_COL(ru, "float_mul", 0);
  EXPECT_COL(ru, "outer_prod", slog(512));
  EXPECT_COL(ru, "num_loops", slog(3));
  EXPECT_COL(ru, "parallel_len", slog(M));
  EXPECT_COL(ru, "parallel_pos.outer_spatial", 1);
  EXPECT_COL(ru, "unroll_len", slog(K));
  EXPECT_COL(ru, "unroll_pos.inner_reduce", 1);
  EXPECT_COL(ru, "vec_num", 0);

  // Buffers by cache lines: B (stride N along k: 512 * 32/64 = 256 lines),
  // A (unit stride: 512/16 = 32), C (invariant in k, unit stride in j: 32/16 = 2).
  EXPECT_COL(ru, "buf0.acc.read", 1);  // B
  EXPECT_COL(ru, "buf0.lines", slog(256));
  EXPECT_COL(ru, "buf0.stride", slog(N));
  EXPECT_COL(ru, "buf0.unique_bytes", slog(K * N * 4));
  EXPECT_COL(ru, "buf1.acc.read", 1);  // A
  EXPECT_COL(ru, "buf1.lines", slog(32));
  EXPECT_COL(ru, "buf1.stride", slog(1));
  EXPECT_COL(ru, "buf1.unique_bytes", slog(M * K * 4));
  EXPECT_COL(ru, "buf2.acc.readwrite", 1);  // C
  EXPECT_COL(ru, "buf2.lines", slog(2));
  EXPECT_COL(ru, "buf2.stride", 0);
  EXPECT_COL(ru, "buf2.unique_bytes", slog(M * N * 4));
  EXPECT_COL(ru, "buf2.bytes", slog(512 * 4));

  // Reuse. C: re-read across k (16 times), one iteration apart, while one element
  // of each buffer (12 bytes) goes by.
  EXPECT_COL(ru, "buf2.reuse.loop_multiple_read", 1);
  EXPECT_COL(ru, "buf2.reuse_ct", slog(K));
  EXPECT_COL(ru, "buf2.reuse_dis_iter", slog(1));
  EXPECT_COL(ru, "buf2.reuse_dis_bytes", slog(12));
  EXPECT_COL(ru, "buf2.bytes_d_reuse_ct", slog(2048.0 / K));
  // A: re-read across j (8 times), K iterations apart; the k loop touches
  // 1 + 16 + 16 elements = 132 bytes.
  EXPECT_COL(ru, "buf1.reuse.loop_multiple_read", 1);
  EXPECT_COL(ru, "buf1.reuse_ct", slog(N));
  EXPECT_COL(ru, "buf1.reuse_dis_iter", slog(K));
  EXPECT_COL(ru, "buf1.reuse_dis_bytes", slog(132));
  // B: re-read across i (4 times), N*K iterations apart; the j loop touches
  // (8 + 8 + 16 + 128) elements over the init and update stores = 640 bytes.
  EXPECT_COL(ru, "buf0.reuse.loop_multiple_read", 1);
  EXPECT_COL(ru, "buf0.reuse_ct", slog(M));
  EXPECT_COL(ru, "buf0.reuse_dis_iter", slog(N * K));
  EXPECT_COL(ru, "buf0.reuse_dis_bytes", slog(640));

  // Arithmetic intensity: (ops, bytes) at the k, j, i levels are (16, 132),
  // (128, 608), (512, 896); sample s is at 512 * (s+1) / 10 ops.
  auto curve = [](double x) {
    double ops[3] = {16, 128, 512}, bytes[3] = {132, 608, 896};
    int p = 0;
    while (ops[p] < x) ++p;
    if (p == 0) return ops[0] / bytes[0];
    double lo = ops[p - 1] / bytes[p - 1], hi = ops[p] / bytes[p];
    return lo + (hi - lo) * (x - ops[p - 1]) / (ops[p] - ops[p - 1]);
  };
  for (int s = 0; s < 10; ++s)
    EXPECT_COL(ru, "arith_intensity." + std::to_string(s), curve(512.0 * (s + 1) / 10));
  EXPECT_COL(ru, "arith_intensity.9", 512.0 / 896);
}

// for i (4): allocate T[1, 8] local { for j (8): T[0, j] = A[i, j] * 2;  for j2 (8): B[i, j2] = T[0, j2] + 1 }
// (a stage computed at i: its buffer covers one row, indexed relative to it)
TEST(FeatureExtraction, AllocationOfAComputeAtBuffer) {
  Tensor a = placeholder({4, 8}, "A"), t = placeholder({4, 8}, "T"), b = placeholder({4, 8}, "B");
  Expr i = var("i"), j = var("j"), j2 = var("j2");
  Stmt produce = loop(j, 8, ForKind::Serial, make_store(t.op(), {0, j}, a(i, j) * 2.0f));
  Stmt consume = loop(j2, 8, ForKind::Serial, make_store(b.op(), {i, j2}, t(0, j2) + 1.0f));
  Stmt body = loop(i, 4, ForKind::Serial, make_allocate(t.op(), {1, 8}, MemScope::Local, make_seq({produce, consume})));
  auto feats = costmodel::extract_features({"f", {a.op(), b.op()}, body});
  ASSERT_EQ(feats.rows.size(), 2u);
  const auto& rp = feats.rows[0];
  const auto& rc = feats.rows[1];
  EXPECT_COL(rp, "alloc_size", slog(8 * 4));
  EXPECT_COL(rp, "alloc_outer_prod", slog(4));
  EXPECT_COL(rp, "alloc_inner_prod", slog(8));
  EXPECT_COL(rp, "alloc_prod", slog(32));
  EXPECT_COL(rp, "float_mul", slog(32));
  // The consumer writes a parameter: no allocation features.
  EXPECT_COL(rc, "alloc_size", 0);
  EXPECT_COL(rc, "float_addsub", slog(32));
  // T is indexed by the allocation's local shape [8]: 32 bytes touched overall,
  // re-read in every i iteration.
  // B (the write) and T tie on lines and bytes, so T takes the second slot.
  EXPECT_COL(rc, "buf0.acc.write", 1);
  std::string tb = "buf1.";
  EXPECT_COL(rc, tb + "acc.read", 1);
  EXPECT_COL(rc, tb + "unique_bytes", slog(32));
  EXPECT_COL(rc, tb + "reuse.loop_multiple_read", 1);
  EXPECT_COL(rc, tb + "reuse_ct", slog(4));
}

// for i (4): { T[i] = A[i] * 2; B[i] = T[i] + 1 }: two stores in one loop touch T.
TEST(FeatureExtraction, SerialReuseAcrossStoresInOneLoop) {
  Tensor a = placeholder({4}, "A"), t = placeholder({4}, "T"), b = placeholder({4}, "B");
  Expr i = var("i");
  Stmt body = make_allocate(t.op(), {4}, MemScope::Global,
                            loop(i, 4, ForKind::Serial,
                                 make_seq({make_store(t.op(), {i}, a(i) * 2.0f), make_store(b.op(), {i}, t(i) + 1.0f)})));
  auto feats = costmodel::extract_features({"f", {a.op(), b.op()}, body});
  ASSERT_EQ(feats.rows.size(), 2u);
  const auto& r = feats.rows[1];
  // Buffers B (write) then T (read) tie on lines and bytes: B first.
  EXPECT_COL(r, "buf1.acc.read", 1);
  EXPECT_COL(r, "buf1.reuse.serial_multiple_read_write", 1);
  EXPECT_COL(r, "buf1.reuse_ct", slog(1));
  // Loop i touches T, A (first store), B, T (second): 16 elements = 64 bytes.
  EXPECT_COL(r, "buf1.reuse_dis_bytes", slog(64.0 / 4));
  EXPECT_COL(r, "buf1.reuse_dis_iter", slog(4.0 / 4));
  EXPECT_COL(r, "buf0.reuse.none", 1);
  // The first store's T is allocated at the root.
  EXPECT_COL(feats.rows[0], "alloc_size", slog(16));
  EXPECT_COL(feats.rows[0], "alloc_outer_prod", slog(1));
}

// A fused loop f over an 8x8 output: C[f / 8, f % 8] = A[f / 8, f % 8], vectorized.
TEST(FeatureExtraction, FusedLoopIsMixedWithUnitAverageStride) {
  Tensor a = placeholder({8, 8}, "A"), c = placeholder({8, 8}, "C");
  Expr f = var("f");
  Expr r = floordiv(f, 8), col = floormod(f, 8);
  Stmt body = loop(f, 64, ForKind::Vectorized, make_store(c.op(), {r, col}, a(r, col)));
  auto feats = costmodel::extract_features({"copy", {a.op(), c.op()}, body});
  ASSERT_EQ(feats.rows.size(), 1u);
  const auto& row = feats.rows[0];
  EXPECT_COL(row, "vec_pos.mixed", 1);
  EXPECT_COL(row, "int_divmod", slog(4 * 64));
  EXPECT_COL(row, "buf0.stride", slog(1));
  EXPECT_COL(row, "buf0.unique_bytes", slog(256));
  EXPECT_COL(row, "buf0.lines", slog(64 * 4 / 64));
  EXPECT_COL(row, "buf0.unique_lines", slog(256 / 64));
}

// for bx (blockIdx.x, 8): for tx (threadIdx.x, 32): C[bx*32 + tx] = exp(A[bx*32 + tx])
TEST(FeatureExtraction, GpuBindingsAndMathCalls) {
  Tensor a = placeholder({256}, "A"), c = placeholder({256}, "C");
  Expr bx = var("bx"), tx = var("tx");
  Expr idx = bx * 32 + tx;
  Stmt body = loop(bx, 8, ForKind::BlockIdxX, loop(tx, 32, ForKind::ThreadIdxX, make_store(c.op(), {idx}, exp(a(idx)))));
  auto feats = costmodel::extract_features({"g", {a.op(), c.op()}, body});
  ASSERT_EQ(feats.rows.size(), 1u);
  const auto& row = feats.rows[0];
  EXPECT_COL(row, "is_gpu", 1);
  EXPECT_COL(row, "blockIdx.x_len", slog(8));
  EXPECT_COL(row, "threadIdx.x_len", slog(32));
  EXPECT_COL(row, "blockIdx.y_len", 0);
  EXPECT_COL(row, "vthread_len", 0);
  EXPECT_COL(row, "float_math_func", slog(256));
  // Two index computations (store and load), each one mul and one add.
  EXPECT_COL(row, "int_mul", slog(2 * 256));
  EXPECT_COL(row, "int_addsub", slog(2 * 256));
}

TEST(FeatureExtraction, EmptyProgramHasNoRows) {
  LoweredFunc f{"empty", {}, make_seq({})};
  EXPECT_TRUE(costmodel::extract_features(f).rows.empty());
}
