// Local accumulators in loop order: the buffer's new shape follows the loops that
// accumulate into it, and the program computes what it computed before, for hand
// schedules and for States the search produces.
#include <gtest/gtest.h>

#include <random>

#include "codegen/codegen_c.h"
#include "lower/local_layout.h"
#include "lower/lower.h"
#include "runtime/module.h"
#include "schedule/hand_schedule.h"
#include "testing/fused_ops.h"
#include "testing/lower_fixtures.h"
#include "testing/random_states.h"

using namespace bcd;
using namespace bcd::ir;

namespace {

using testutil::random_inputs;

std::vector<NDArray> run(const runtime::Module& module, const std::string& name, const ComputeDAG& dag,
                         std::vector<NDArray>& inputs) {
  std::vector<float*> args;
  for (auto& a : inputs) args.push_back(a.data());
  std::vector<NDArray> outputs;
  for (const auto& t : dag.outputs()) outputs.emplace_back(t->shape);
  for (auto& o : outputs) {
    o.fill(12345.0f);  // a stale value must not pass for a computed one
    args.push_back(o.data());
  }
  module.get(name).run(args);
  return outputs;
}

// The shapes of the local allocations of a program, in program order.
void local_shapes(const lower::Stmt& s, std::vector<std::vector<int64_t>>& out) {
  if (s->kind == lower::StmtKind::Allocate && s->scope == lower::MemScope::Local) out.push_back(s->alloc_shape);
  for (const auto& b : s->body) local_shapes(b, out);
}

std::vector<std::vector<int64_t>> local_shapes(const lower::LoweredFunc& f) {
  std::vector<std::vector<int64_t>> out;
  local_shapes(f.body, out);
  return out;
}

}  // namespace

// dense with its accumulator computed per 4 columns (all 8 rows by 4 columns), the
// rows split 4 x 2 (a, b) and accumulated in the order `order`.
lower::LoweredFunc dense_with_local(const ComputeDAG& dag, const std::vector<std::string>& order,
                                    const std::string& name, bool vectorize_innermost = false) {
  schedule::HandSchedule h(dag);
  std::string local = h.cache_write("out", "local");
  auto [j0, j1] = h.split2("out", "out_ax1", 4);
  h.reorder("out", {j0, "out_ax0", j1});
  h.compute_at(local, "out", j0);
  auto [a, b] = h.split2(local, "out_i0", 2);
  std::vector<std::string> names;
  for (const auto& o : order) names.push_back(o == "a" ? a : o == "b" ? b : o);
  h.reorder(local, names);
  if (vectorize_innermost) h.vectorize(local, names.back());
  return lower::lower_state(h.state(), name);
}

TEST(LocalLayout, TheAccumulatorTakesTheOrderOfTheLoopsThatAccumulateIntoIt) {
  ComputeDAG dag = testutil::small_dense_dag();
  // local[a*2 + b, i1] accumulated in the order b, a, i1.
  lower::LoweredFunc f = dense_with_local(dag, {"b", "k", "a", "out_i1"}, "dense_local");
  ASSERT_EQ(local_shapes(f), (std::vector<std::vector<int64_t>>{{8, 4}})) << lower::to_string(f);

  lower::LoweredFunc g = lower::reorder_local_accumulators(f);
  g.name += "_reordered";  // beside the original in one module
  EXPECT_EQ(local_shapes(g), (std::vector<std::vector<int64_t>>{{2, 4, 4}})) << lower::to_string(g);
  // The accumulation indexes the new layout by its loop variables alone; the
  // copy-out, which walks it by rows and columns, by their digits.
  std::string text = lower::to_string(g);
  EXPECT_NE(text.find("floordiv("), std::string::npos) << text;

  auto inputs = random_inputs(dag, 1);
  runtime::Module module = runtime::Module::from_source(codegen::codegen_c({f, g}));
  auto expected = run(module, f.name, dag, inputs);
  auto actual = run(module, g.name, dag, inputs);
  EXPECT_TRUE(arrays_close(actual[0], expected[0], 1e-5, 1e-5));
}

TEST(LocalLayout, TheInnermostDigitStaysInnermost) {
  ComputeDAG dag = testutil::small_dense_dag();
  // Accumulated in the order a, i1, b: storing it so would make b, a digit of the
  // rows, the contiguous one in place of the columns.
  lower::LoweredFunc f = dense_with_local(dag, {"a", "out_i1", "k", "b"}, "row_innermost");
  EXPECT_EQ(lower::to_string(lower::reorder_local_accumulators(f)), lower::to_string(f));
}

TEST(LocalLayout, AVectorizedInnermostLoopTakesTheInnermostDimension) {
  // The same order with b vectorized (what the search's inner-tile reorder makes of
  // an NCHW conv's output channels): its lanes then store contiguously, so b's
  // digit becomes the innermost dimension.
  ComputeDAG dag = testutil::small_dense_dag();
  lower::LoweredFunc f = dense_with_local(dag, {"a", "out_i1", "k", "b"}, "row_lanes", true);
  lower::LoweredFunc g = lower::reorder_local_accumulators(f);
  g.name += "_reordered";
  EXPECT_EQ(local_shapes(g), (std::vector<std::vector<int64_t>>{{4, 4, 2}})) << lower::to_string(g);

  auto inputs = random_inputs(dag, 2);
  runtime::Module module = runtime::Module::from_source(codegen::codegen_c({f, g}));
  auto expected = run(module, f.name, dag, inputs);
  auto actual = run(module, g.name, dag, inputs);
  EXPECT_TRUE(arrays_close(actual[0], expected[0], 1e-5, 1e-5));
}

TEST(LocalLayout, AccumulatorsAlreadyInLoopOrderAndProgramsWithoutThemAreLeftAlone) {
  ComputeDAG dag = testutil::small_dense_dag();
  lower::LoweredFunc f = dense_with_local(dag, {"k", "a", "b", "out_i1"}, "in_order");  // its own order
  EXPECT_EQ(lower::to_string(lower::reorder_local_accumulators(f)), lower::to_string(f));

  lower::LoweredFunc plain = lower::lower_default(dag, "plain");
  EXPECT_EQ(lower::to_string(lower::reorder_local_accumulators(plain)), lower::to_string(plain));
}

TEST(LocalLayout, SearchStatesComputeTheSameWithTheirAccumulatorsReordered) {
  struct Case {
    std::string name;
    ops::OpInstance op;
  };
  std::vector<Case> cases = {{"conv2d NCHW", testutil::conv_bias_relu(ops::Layout::NCHW, 8, 14, 16)},
                             {"conv2d NHWC", testutil::conv_bias_relu(ops::Layout::NHWC, 8, 14, 16)},
                             {"dense", testutil::dense_bias_relu(8, 24, 32)}};
  constexpr int kStates = 80;
  for (auto& c : cases) {
    std::mt19937_64 rng(11);
    auto inputs = random_inputs(c.op.dag, 3);
    auto expected = c.op.reference([&] {
      std::vector<const NDArray*> p;
      for (auto& a : inputs) p.push_back(&a);
      return p;
    }());
    std::vector<lower::LoweredFunc> reordered;
    for (int k = 0; k < kStates; ++k) {
      lower::LoweredFunc f = lower::lower_state(testutil::search_state(c.op.dag, rng), "s" + std::to_string(k));
      lower::LoweredFunc g = lower::reorder_local_accumulators(f);
      if (lower::to_string(g) != lower::to_string(f)) reordered.push_back(g);
    }
    // The others accumulate at the root (no cache write), in the buffer's own
    // order already, or in a guarded partial tile (loops covering more than it).
    std::printf("%s: %zu of %d reordered\n", c.name.c_str(), reordered.size(), kStates);
    EXPECT_GE(reordered.size(), 6u) << c.name;
    runtime::Module module = runtime::Module::from_source(codegen::codegen_c(reordered));
    for (const auto& g : reordered) {
      auto actual = run(module, g.name, c.op.dag, inputs);
      for (size_t o = 0; o < actual.size(); ++o)
        EXPECT_TRUE(arrays_close(actual[o], expected[o], 1e-4, 1e-4))
            << c.name << " " << g.name << ": max abs error " << compare_arrays(actual[o], expected[o]).max_abs
            << "\n"
            << lower::to_string(g);
    }
  }
}
