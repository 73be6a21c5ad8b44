// A kernel's heap buffers planned in a caller's scratch (codegen/kernel_scratch.h):
// where the planner puts them, and that the kernel computes the same with a
// scratch, with too few thread slices, and with none.
#include <gtest/gtest.h>

#include <limits>

#include "codegen/codegen_c.h"
#include "codegen/kernel_scratch.h"
#include "ir/tensor.h"
#include "runtime/module.h"

using namespace bcd;
using namespace bcd::ir;
using namespace bcd::lower;

namespace {

constexpr int64_t kRows = 4;
constexpr int64_t kCols = 20000;  // 80 KB a row: over the stack limit

// C = 2 (A + 4), through a shared stage S (global scope) and, inside the parallel
// row loop, two nested 80 KB local buffers T and U, then a sibling V in T's place.
struct Program {
  Tensor a = placeholder({kRows, kCols}, "A"), c = placeholder({kRows, kCols}, "C");
  Tensor s = placeholder({kRows, kCols}, "S");
  Tensor t = placeholder({kCols}, "T"), u = placeholder({kCols}, "U"), v = placeholder({kCols}, "V");
  Stmt alloc_s, alloc_t, alloc_u, alloc_v;
  LoweredFunc func;

  Program() {
    Expr i = var("i"), j = var("j"), i2 = var("i2"), j2 = var("j2");
    auto row = [&](Stmt body) { return make_for(j, kCols, ForKind::Serial, std::move(body)); };
    alloc_u = make_allocate(u.op(), {kCols}, MemScope::Local,
                            make_seq({row(make_store(u.op(), {j}, t(j) + 3.0f)),
                                      row(make_store(c.op(), {i, j}, u(j) - t(j) * 0.5f))}));
    alloc_t = make_allocate(t.op(), {kCols}, MemScope::Local,
                            make_seq({row(make_store(t.op(), {j}, s(i, j) * 2.0f)), alloc_u}));
    alloc_v = make_allocate(v.op(), {kCols}, MemScope::Local,
                            make_seq({row(make_store(v.op(), {j}, c(i, j))), row(make_store(c.op(), {i, j}, v(j) * 2.0f))}));
    Stmt rows = make_for(i, kRows, ForKind::Parallel, make_seq({alloc_t, alloc_v}));
    Stmt fill = make_for(i2, kRows, ForKind::Serial,
                         make_for(j2, kCols, ForKind::Serial, make_store(s.op(), {i2, j2}, a(i2, j2) + 1.0f)));
    alloc_s = make_allocate(s.op(), {kRows, kCols}, MemScope::Global, make_seq({fill, rows}));
    func = {"scratchy", {a.op(), c.op()}, alloc_s};
  }
};

}  // namespace

TEST(KernelScratch, SharedAndPerThreadBuffersAreStackedByScope) {
  Program p;
  const codegen::ScratchPlan plan = codegen::plan_scratch(p.func);
  const int64_t row = kCols * 4;  // a multiple of 64
  EXPECT_EQ(plan.need.shared_bytes, kRows * row);
  EXPECT_EQ(plan.need.per_thread_bytes, 2 * row);  // T and U at once; V reuses T's place
  ASSERT_EQ(plan.slots.size(), 4u);
  EXPECT_FALSE(plan.slots.at(p.alloc_s.get()).per_thread);
  EXPECT_EQ(plan.slots.at(p.alloc_t.get()).offset, 0);
  EXPECT_EQ(plan.slots.at(p.alloc_u.get()).offset, row);
  EXPECT_EQ(plan.slots.at(p.alloc_v.get()).offset, 0);
  EXPECT_TRUE(plan.slots.at(p.alloc_v.get()).per_thread);

  EXPECT_EQ(plan.need.slices(plan.need.bytes(3)), 3);
  EXPECT_EQ(plan.need.slices(plan.need.bytes(3) - 1), 2);
  EXPECT_EQ(plan.need.slices(plan.need.shared_bytes - 1), 0);
}

TEST(KernelScratch, TheKernelComputesTheSameWithAnyScratch) {
  Program p;
  const std::string source = codegen::codegen_c({p.func});
  EXPECT_NE(source.find("scratchy_packed_scratch"), std::string::npos);
  runtime::Kernel kernel = runtime::Module::from_source(source).get("scratchy");
  ASSERT_TRUE(kernel.takes_scratch());
  const codegen::KernelScratch need = codegen::plan_scratch(p.func).need;

  NDArray a({kRows, kCols});
  for (int64_t k = 0; k < a.size(); ++k) a.data()[k] = static_cast<float>(k % 97) * 0.25f;
  // -1: the kernel allocates everything; otherwise a scratch with that many slices
  // (0: only the shared part; 1: the other threads allocate theirs).
  for (int slices : {-1, 64, 1, 0}) {
    NDArray c({kRows, kCols});
    c.fill(12345.0f);
    NDArray scratch({std::max<int64_t>(1, need.bytes(std::max(slices, 0)) / 4)});
    scratch.fill(std::numeric_limits<float>::quiet_NaN());
    if (slices < 0)
      kernel.run(std::vector<float*>{a.data(), c.data()});
    else
      kernel.run(std::vector<float*>{a.data(), c.data()}, scratch.data(), slices);
    for (int64_t k = 0; k < a.size(); ++k)
      ASSERT_FLOAT_EQ(c.data()[k], 2 * (a.data()[k] + 4)) << "element " << k << ", slices " << slices;
  }
  // No scratch at all: every buffer from the heap.
  NDArray c({kRows, kCols});
  kernel.run(std::vector<float*>{a.data(), c.data()}, nullptr, 0);
  EXPECT_FLOAT_EQ(c.data()[kCols + 5], 2 * (a.data()[kCols + 5] + 4));
}

TEST(KernelScratch, AKernelWithoutHeapBuffersHasNoScratchEntry) {
  Tensor a = placeholder({16}, "A"), c = placeholder({16}, "C");
  Expr i = var("i");
  LoweredFunc f{"plain", {a.op(), c.op()}, make_for(i, 16, ForKind::Serial, make_store(c.op(), {i}, a(i) * 2.0f))};
  EXPECT_TRUE(codegen::plan_scratch(f).need.empty());
  const std::string source = codegen::codegen_c({f});
  EXPECT_EQ(source.find("_packed_scratch"), std::string::npos);
  EXPECT_FALSE(runtime::Module::from_source(source).get("plain").takes_scratch());
}
