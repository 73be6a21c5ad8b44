#include "ir/compute_dag.h"
#include "ops/registry.h"
#include "support/error.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

using namespace bcd::ir;

namespace {

// C[i, j] = sum_k A[i, k] * B[k, j], then relu; names are parameters so that tests
// can check the key ignores them.
ComputeDAG matmul_relu(int64_t m, int64_t n, int64_t k, const std::string& prefix = "") {
  Tensor a = placeholder({m, k}, prefix + "A");
  Tensor b = placeholder({k, n}, prefix + "B");
  IterVar r = reduce_axis(k, prefix + "k");
  Tensor c = compute({m, n}, [&](const std::vector<Expr>& i) { return sum(a(i[0], r.var) * b(r.var, i[1]), {r}); },
                     prefix + "C", "matmul");
  Tensor d = compute({m, n}, [&](const std::vector<Expr>& i) { return max(c(i[0], i[1]), 0.0f); },
                     prefix + "D", "relu");
  return ComputeDAG({a, b}, {d});
}

}  // namespace

TEST(ComputeDAG, TopologicalOrderPutsInputsFirstAndProducersBeforeConsumers) {
  ComputeDAG dag = matmul_relu(4, 5, 6);
  ASSERT_EQ(dag.ops().size(), 4u);
  EXPECT_EQ(dag.ops()[0]->name, "A");
  EXPECT_EQ(dag.ops()[1]->name, "B");
  EXPECT_EQ(dag.ops()[2]->name, "C");
  EXPECT_EQ(dag.ops()[3]->name, "D");
  EXPECT_EQ(dag.index_of(dag.ops()[2].op().get()), 2);
}

TEST(ComputeDAG, FlopCountOfMatmulReluIsTwoMNKPlusMN) {
  ComputeDAG dag = matmul_relu(4, 5, 6);
  EXPECT_DOUBLE_EQ(dag.flop_count(), 2.0 * 4 * 5 * 6 + 4 * 5);
}

TEST(ComputeDAG, DescriptionJoinsTags) {
  EXPECT_EQ(matmul_relu(4, 5, 6).description(), "matmul_relu");
}

TEST(ComputeDAG, WorkloadKeyIgnoresNamesButNotShapes) {
  ComputeDAG a = matmul_relu(4, 5, 6, "x_");
  ComputeDAG b = matmul_relu(4, 5, 6, "y_");
  EXPECT_EQ(a.workload_key(), b.workload_key());
  EXPECT_EQ(a.workload_key().size(), 16u);
  EXPECT_NE(a.workload_key(), matmul_relu(4, 5, 7).workload_key());
  EXPECT_NE(a.workload_key(), matmul_relu(5, 4, 6).workload_key());
}

TEST(ComputeDAG, WorkloadKeyIsAGoldenValue) {
  // A fixed value: keys must not depend on the process, the machine or pointer values.
  // Changing the canonical form invalidates every record users have: only on purpose.
  EXPECT_EQ(matmul_relu(4, 5, 6).canonical_string(),
            "P4x6;P6x5;Cmatmul[4x5|6]=sum(*(T0(a0,r0),T1(r0,a1)));"
            "Crelu[4x5|]=max(T2(a0,a1),0f);");
  EXPECT_EQ(matmul_relu(4, 5, 6).workload_key(), "1f58c6934fd1ff8c");
}

TEST(ComputeDAG, AccessAnalysisOfMatmulRelu) {
  ComputeDAG dag = matmul_relu(4, 5, 6);
  const auto& mm = dag.access(2);
  EXPECT_FALSE(mm.is_injective);
  EXPECT_TRUE(mm.needs_multi_level_tiling);
  EXPECT_FALSE(mm.is_output);
  EXPECT_FALSE(mm.is_elementwise_read.at(0));
  const auto& relu = dag.access(3);
  EXPECT_TRUE(relu.is_injective);
  EXPECT_TRUE(relu.is_strictly_inlineable);
  EXPECT_FALSE(relu.needs_multi_level_tiling);
  EXPECT_TRUE(relu.is_output);
  EXPECT_TRUE(relu.is_elementwise_read.at(2));
  EXPECT_EQ(dag.access(2).consumers, std::vector<int>{3});
  EXPECT_EQ(dag.access(0).consumers, std::vector<int>{2});
}

TEST(ComputeDAG, ExpensiveCallsAreNotStrictlyInlineable) {
  Tensor a = placeholder({8}, "A");
  Tensor e = compute({8}, [&](const std::vector<Expr>& i) { return exp(a(i[0])); }, "E", "exp");
  ComputeDAG dag({a}, {e});
  EXPECT_TRUE(dag.access(1).is_injective);
  EXPECT_FALSE(dag.access(1).is_strictly_inlineable);
}

TEST(ComputeDAG, RowReductionDoesNotNeedTiling) {
  // out[i] = max_k A[i, k]: every input element is read once, no reuse.
  Tensor a = placeholder({8, 16}, "A");
  IterVar k = reduce_axis(16, "k");
  Tensor m = compute({8}, [&](const std::vector<Expr>& i) { return max_reduce(a(i[0], k.var), {k}); }, "M", "max");
  ComputeDAG dag({a}, {m});
  EXPECT_FALSE(dag.access(1).needs_multi_level_tiling);
  EXPECT_DOUBLE_EQ(dag.flop_count(), 8.0 * 16);
}

TEST(ComputeDAG, UndeclaredPlaceholderIsAnError) {
  Tensor a = placeholder({4}, "A");
  Tensor b = compute({4}, [&](const std::vector<Expr>& i) { return a(i[0]) + 1.0f; }, "B", "add");
  EXPECT_THROW(ComputeDAG({}, {b}), bcd::Error);
}

#ifdef BCD_BINARY
TEST(ComputeDAG, WorkloadKeyIsTheSameInAnotherProcess) {
  // The bcd binary prints the key of the dense operator; build the same DAG here.
  std::string cmd = std::string(BCD_BINARY) + " op dense --params m=7,n=9,k=11 --repeat 1 --min-repeat-ms 0";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe.get())) out += buf;
  auto pos = out.find(" key ");
  ASSERT_NE(pos, std::string::npos) << out;
  std::string other_process_key = out.substr(pos + 5, 16);
  bcd::ops::OpParams params = bcd::ops::OpParams::parse("m=7,n=9,k=11");
  EXPECT_EQ(bcd::ops::build_op("dense", params).dag.workload_key(), other_process_key);
}
#endif
