// Shape inference, canonical attributes and the reference executor on small graphs.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>
#include <string>

#include "graph/graph.h"
#include "graph/op_defs.h"
#include "ops/registry.h"
#include "graph/reference_executor.h"
#include "support/error.h"
#include "ops/reference.h"

namespace bcd::graph {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

int conv_node(Graph& g, int x, int w, int64_t stride, int64_t pad) {
  NodeAttrs a;
  a.conv.stride = {stride, stride};
  a.conv.padding = {pad, pad, pad, pad};
  return g.add_op(OpType::Conv2D, {x, w}, a, "conv");
}

TEST(GraphOps, OneRowPerOpTypeInOrderWithUniqueNamesAndARegistryOpOfTheSameName) {
  std::set<std::string> names;
  for (size_t k = 0; k < graph_ops().size(); ++k) {
    const OpDef& def = graph_ops()[k];
    EXPECT_EQ(static_cast<size_t>(def.op), k) << def.name;
    EXPECT_EQ(&op_def(def.op), &def);
    EXPECT_TRUE(names.insert(def.name).second) << def.name;
    EXPECT_EQ(parse_op(def.name), def.op);
    if (def.cls == OpClass::Source) continue;
    EXPECT_TRUE(def.compute && def.reference) << def.name;
    EXPECT_LE(def.min_inputs, def.max_inputs) << def.name;
    // The registry builds it on its own, so the equivalence oracle covers it.
    ASSERT_NO_THROW(ops::find_op(def.name)) << def.name;
    // Fusion starts a subgraph at each reduction: an op with one is an anchor.
    bool reduces = false;
    const ops::OpInstance inst = ops::build_op(def.name, {});
    for (const auto& op : inst.dag.ops()) reduces = reduces || op->has_reduce();
    EXPECT_EQ(reduces, def.cls == OpClass::Anchor) << def.name;
  }
}

TEST(GraphShape, ConvPoolDenseChain) {
  Graph g;
  const int x = g.add_input("x", {1, 3, 32, 32});
  const int w = g.add_constant("w", {8, 3, 3, 3}, {});
  const int c = conv_node(g, x, w, 2, 1);
  EXPECT_EQ(g.node(c).shape, (std::vector<int64_t>{1, 8, 16, 16}));
  NodeAttrs p;
  p.pool.kernel = {2, 2};
  p.pool.stride = {2, 2};
  const int pool = g.add_op(OpType::MaxPool2D, {c}, p);
  EXPECT_EQ(g.node(pool).shape, (std::vector<int64_t>{1, 8, 8, 8}));
  const int f = g.add_op(OpType::Flatten, {pool});
  EXPECT_EQ(g.node(f).shape, (std::vector<int64_t>{1, 512}));
  const int d = g.add_op(OpType::Dense, {f, g.add_constant("dw", {10, 512}, {})});
  EXPECT_EQ(g.node(d).shape, (std::vector<int64_t>{1, 10}));
  EXPECT_EQ(g.consumers(c), (std::vector<int>{pool}));
}

TEST(GraphShape, CanonicalAxesAndReshape) {
  Graph g;
  const int x = g.add_input("x", {2, 3, 4});
  NodeAttrs s;
  s.axis = -1;
  EXPECT_EQ(g.node(g.add_op(OpType::Softmax, {x}, s)).attrs.axis, 2);
  NodeAttrs r;
  r.new_shape = {6, -1};
  const int re = g.add_op(OpType::Reshape, {x}, r);
  EXPECT_EQ(g.node(re).shape, (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(g.node(re).attrs.new_shape, (std::vector<int64_t>{6, 4}));
  const int t = g.add_op(OpType::Transpose, {x});
  EXPECT_EQ(g.node(t).shape, (std::vector<int64_t>{4, 3, 2}));
  EXPECT_EQ(g.node(t).attrs.axes, (std::vector<int64_t>{2, 1, 0}));
}

TEST(GraphShape, MismatchesAreOneLineErrors) {
  Graph g;
  const int x = g.add_input("x", {1, 3, 8, 8});
  const int w = g.add_constant("w", {8, 4, 3, 3}, {});
  const std::string e = error_of([&] { conv_node(g, x, w, 1, 1); });
  EXPECT_NE(e.find("node 'conv': conv2d"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
  const int y = g.add_input("y", {1, 5});
  const std::string add = error_of([&] { g.add_op(OpType::Add, {x, y}, {}, "sum"); });
  EXPECT_NE(add.find("node 'sum'"), std::string::npos) << add;
  const std::string arity = error_of([&] { g.add_op(OpType::Relu, {x, x}, {}, "r"); });
  EXPECT_NE(arity.find("relu: expected 1 inputs, got 2"), std::string::npos) << arity;
  const std::string fwd = error_of([&] { g.add_op(OpType::Relu, {42}, {}, "r"); });
  EXPECT_NE(fwd.find("does not precede"), std::string::npos) << fwd;
  EXPECT_NE(error_of([] { parse_op("conv3d"); }).find("known: input, constant, conv2d"),
            std::string::npos);
}

TEST(GraphShape, LazyConstantsAreDeterministic) {
  Graph g;
  ConstantInit init;
  init.seed = 5;
  init.scale = 0.5f;
  const int a = g.add_constant("a", {4, 4}, init);
  const int b = g.add_constant("b", {4, 4}, init);
  auto va = g.constant_value(a), vb = g.constant_value(b);
  EXPECT_EQ(va.get(), g.constant_value(a).get());  // cached
  for (int64_t i = 0; i < 16; ++i) {
    EXPECT_EQ((*va)[i], (*vb)[i]);
    EXPECT_LE(std::abs((*va)[i]), 0.5f);
  }
}

TEST(GraphReference, MatchesOpReferences) {
  Graph g;
  const int x = g.add_input("x", {1, 3, 8, 8});
  const int w = g.add_constant("w", {4, 3, 3, 3}, {});
  const int bias = g.add_constant("b", {4}, {});
  const int c = conv_node(g, x, w, 1, 1);
  const int r = g.add_op(OpType::Relu, {g.add_op(OpType::BiasAdd, {c, bias})});
  NodeAttrs p;
  const int out = g.add_op(OpType::MaxPool2D, {r}, p);
  g.mark_output(out);
  auto inputs = random_inputs(g, 1);
  auto result = run_reference(g, {&inputs[0]});
  ASSERT_EQ(result.size(), 1u);
  NDArray expected = ops::ref::max_pool2d(
      ops::ref::relu(ops::ref::bias_add(
          ops::ref::conv2d(inputs[0], *g.constant_value(w), g.node(c).attrs.conv),
          *g.constant_value(bias), 1)),
      p.pool);
  EXPECT_TRUE(arrays_close(result[0], expected, 1e-6, 1e-6));
  NDArray wrong({1, 3, 4, 4});
  EXPECT_NE(error_of([&] { run_reference(g, {&wrong}); }).find("input 'x' has shape"),
            std::string::npos);
}

}  // namespace
}  // namespace bcd::graph
