// Layout rewrite of a weight: the rewritten tensor follows the loops that read it,
// and pack + rewritten kernel compute what the original program computes, for
// hand schedules and for States the search produces.
#include <gtest/gtest.h>

#include <random>

#include "codegen/codegen_c.h"
#include "lower/layout_rewrite.h"
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

std::vector<float*> pointers(std::vector<NDArray>& arrays) {
  std::vector<float*> p;
  for (auto& a : arrays) p.push_back(a.data());
  return p;
}

// Runs `name` on `args` (the inputs) and fresh outputs; returns the outputs.
std::vector<NDArray> run(const runtime::Module& module, const std::string& name, const ComputeDAG& dag,
                         std::vector<float*> args) {
  std::vector<NDArray> outputs;
  for (const auto& t : dag.outputs()) outputs.emplace_back(t->shape);
  for (auto& o : outputs) {
    o.fill(12345.0f);  // a stale value must not pass for a computed one
    args.push_back(o.data());
  }
  module.get(name).run(args);
  return outputs;
}

// The rewritten program's outputs: pack the input, then run the kernel on it.
std::vector<NDArray> run_rewritten(const runtime::Module& module, const lower::RewrittenLayout& r,
                                   const ComputeDAG& dag, std::vector<NDArray>& inputs) {
  NDArray packed(r.kernel.params[r.input]->shape);
  module.get(r.pack.name).run(std::vector<float*>{inputs[r.input].data(), packed.data()});
  std::vector<float*> args = pointers(inputs);
  args[r.input] = packed.data();
  return run(module, r.kernel.name, dag, args);
}

void expect_same_outputs(const std::vector<NDArray>& actual, const std::vector<NDArray>& expected,
                         const std::string& what, double tolerance = 1e-5) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t o = 0; o < actual.size(); ++o)
    EXPECT_TRUE(arrays_close(actual[o], expected[o], tolerance, tolerance))
        << what << ": max abs error " << compare_arrays(actual[o], expected[o]).max_abs;
}

}  // namespace

TEST(LayoutRewrite, TheWeightTakesTheOrderOfTheLoopsThatReadIt) {
  ComputeDAG dag = testutil::small_dense_dag();
  schedule::HandSchedule h(dag);
  auto [n0, n1] = h.split2("out", "out_i1", 4);
  auto [k0, k1] = h.split2("out", "k", 3);
  h.reorder("out", {"out_i0", n0, k0, k1, n1});
  h.vectorize("out", n1);
  lower::LoweredFunc f = lower::lower_state(h.state(), "dense_tiled");

  auto r = lower::rewrite_input_layout(f, 1);
  ASSERT_TRUE(r);
  r->kernel.name += "_rewritten";  // beside the original in one module
  EXPECT_EQ(r->input, 1);
  // weight[n0*4 + n1, k0*3 + k1] read in the loop order n0, k0, k1, n1.
  EXPECT_EQ(r->kernel.params[1]->shape, (std::vector<int64_t>{4, 4, 3, 4}));
  std::string kernel = lower::to_string(r->kernel);
  EXPECT_NE(kernel.find("weight_rewritten["), std::string::npos) << kernel;
  EXPECT_EQ(kernel.find("weight["), std::string::npos) << kernel;
  EXPECT_EQ(r->pack.params.size(), 2u);

  auto inputs = random_inputs(dag, 1);
  runtime::Module module = runtime::Module::from_source(codegen::codegen_c({f, r->kernel, r->pack}));
  expect_same_outputs(run_rewritten(module, *r, dag, inputs), run(module, f.name, dag, pointers(inputs)),
                      "hand schedule");
}

TEST(LayoutRewrite, AFusedLoopContributesItsParts) {
  ComputeDAG dag = testutil::small_dense_dag();
  schedule::HandSchedule h(dag);
  auto [n0, n1] = h.split2("out", "out_i1", 4);
  h.reorder("out", {n0, "out_i0", "k", n1});
  std::string fused = h.fuse("out", {n0, "out_i0"});
  h.parallel("out", fused);
  lower::LoweredFunc f = lower::lower_state(h.state(), "dense_fused");

  auto r = lower::rewrite_input_layout(f, 1);
  ASSERT_TRUE(r) << lower::to_string(f);
  r->kernel.name += "_rewritten";
  // n0 = floordiv(fused, 8) is the outer digit of the fused loop; k, n1 follow.
  EXPECT_EQ(r->kernel.params[1]->shape, (std::vector<int64_t>{4, 12, 4}));
  auto inputs = random_inputs(dag, 2);
  runtime::Module module = runtime::Module::from_source(codegen::codegen_c({f, r->kernel, r->pack}));
  expect_same_outputs(run_rewritten(module, *r, dag, inputs), run(module, f.name, dag, pointers(inputs)),
                      "fused schedule");
}

TEST(LayoutRewrite, SlidingWindowsOutputsAndUnknownParametersAreNotRewritten) {
  ops::OpInstance conv = testutil::conv_bias_relu(ops::Layout::NCHW, 4, 10, 8);
  lower::LoweredFunc f = lower::lower_default(conv.dag, "conv_default");
  EXPECT_FALSE(lower::rewrite_input_layout(f, 0)) << "data[.., h + kh - 1, ..] is a window, not a digit sum";
  EXPECT_FALSE(lower::rewrite_input_layout(f, 3)) << "the output";
  EXPECT_FALSE(lower::rewrite_input_layout(f, 4));
  EXPECT_FALSE(lower::rewrite_input_layout(f, -1));
  EXPECT_FALSE(lower::rewrite_input_layout(f, 1)) << "the default loops read the weight in its own order";
}

TEST(LayoutRewrite, LoopsThatReadTheWeightInItsOwnOrderLeaveItAlone) {
  ComputeDAG dag = testutil::small_dense_dag();
  schedule::HandSchedule h(dag);
  auto [n0, n1] = h.split2("out", "out_i1", 4);
  h.reorder("out", {n0, n1, "out_i0", "k"});  // weight[n0*4 + n1, k]: n0, n1, k is its order
  EXPECT_FALSE(lower::rewrite_input_layout(lower::lower_state(h.state(), "in_order"), 1));
  h.reorder("out", {n0, "out_i0", "k", n1});
  EXPECT_TRUE(lower::rewrite_input_layout(lower::lower_state(h.state(), "out_of_order"), 1));
}

TEST(LayoutRewrite, SearchStatesComputeTheSameWithTheirWeightRewritten) {
  struct Case {
    std::string name;
    ops::OpInstance op;
  };
  std::vector<Case> cases = {{"conv2d NCHW", testutil::conv_bias_relu(ops::Layout::NCHW, 8, 14, 16)},
                             {"conv2d NHWC", testutil::conv_bias_relu(ops::Layout::NHWC, 8, 14, 16)},
                             {"dense", testutil::dense_bias_relu(8, 24, 32)}};
  constexpr int kStates = 30;
  for (auto& c : cases) {
    std::mt19937_64 rng(7);
    auto inputs = random_inputs(c.op.dag, 3);
    auto expected = c.op.reference([&] {
      std::vector<const NDArray*> p;
      for (auto& a : inputs) p.push_back(&a);
      return p;
    }());
    std::vector<lower::LoweredFunc> funcs;
    std::vector<lower::RewrittenLayout> rewritten;
    for (int k = 0; k < kStates; ++k) {
      lower::LoweredFunc f = lower::lower_state(testutil::search_state(c.op.dag, rng), "s" + std::to_string(k));
      if (auto r = lower::rewrite_input_layout(f, 1)) {
        funcs.push_back(r->kernel);
        funcs.push_back(r->pack);
        rewritten.push_back(std::move(*r));
      }
    }
    // The others already read the weight in its own order, or compute a stage
    // inside its consumer's tile with loops that cover more than the tile, guarded
    // (their digits' box is larger than the weight).
    EXPECT_GE(rewritten.size(), kStates / 2) << c.name;
    runtime::Module module = runtime::Module::from_source(codegen::codegen_c(funcs));
    for (const auto& r : rewritten)
      expect_same_outputs(run_rewritten(module, r, c.op.dag, inputs), expected,
                          c.name + " " + r.kernel.name + "\n" + lower::to_string(r.kernel), 1e-4);
  }
}
