// Every zoo model builds, infers its shapes and fuses into tasks; the cheap ones run
// end to end through the reference executor.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "frontends/zoo.h"
#include "graph/fusion.h"
#include "graph/reference_executor.h"
#include "graph/tasks.h"
#include "support/error.h"
#include "testing/param_names.h"

namespace bcd::frontends {
namespace {

struct Expected {
  const char* name;
  std::vector<int64_t> output;
};

class ZooModels : public ::testing::TestWithParam<Expected> {};

TEST_P(ZooModels, BuildsWithExpectedOutputShapeAndFuses) {
  const Expected& e = GetParam();
  graph::Graph g = build_model(e.name);
  ASSERT_EQ(g.outputs().size(), 1u);
  EXPECT_EQ(g.node(g.outputs()[0]).shape, e.output);
  g.infer_shapes();  // re-validates every node
  graph::TaskSet ts = graph::extract_tasks(g);
  int weights = 0;
  for (const graph::Task& t : ts.tasks) weights += t.weight;
  EXPECT_EQ(weights, static_cast<int>(ts.subgraphs.size()));
  // Every non-source node is in exactly one subgraph.
  size_t members = 0;
  for (const graph::Subgraph& s : ts.subgraphs) members += s.nodes.size();
  size_t ops = 0;
  for (const graph::Node& n : g.nodes())
    ops += graph::op_class(n.op) != graph::OpClass::Source;
  EXPECT_EQ(members, ops);
}

INSTANTIATE_TEST_SUITE_P(
    Zoo, ZooModels,
    ::testing::Values(Expected{"squeezenet_v1.1", {1, 1000}}, Expected{"resnet-18", {1, 1000}},
                      Expected{"mxnet", {1, 1000}}, Expected{"mobilenet", {1, 1000}},
                      Expected{"mobilenetv2", {1, 1000}}, Expected{"vgg-16", {1, 1000}},
                      Expected{"vgg-19", {1, 1000}}, Expected{"efficientnet", {1, 1000}},
                      Expected{"inception_v3", {1, 1000}}, Expected{"bert", {128, 768}}),
    [](const auto& info) { return testutil::test_identifier(info.param.name); });

TEST(ZooNames, UnknownModelIsOneLineErrorListingNames) {
  try {
    build_model("resnet-1000");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("unknown model 'resnet-1000' (known: squeezenet_v1.1, resnet-18"),
              std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos);
  }
  EXPECT_EQ(model_names().size(), 10u);
}

void expect_runs_finite(const std::string& name, const ZooOptions& options) {
  graph::Graph g = build_model(name, options);
  auto inputs = graph::random_inputs(g, 3);
  std::vector<const NDArray*> args;
  for (const NDArray& a : inputs) args.push_back(&a);
  auto out = graph::run_reference(g, args);
  ASSERT_EQ(out.size(), 1u);
  double largest = 0;
  for (int64_t i = 0; i < out[0].size(); ++i) {
    ASSERT_TRUE(std::isfinite(out[0][i])) << name << " element " << i;
    largest = std::max(largest, std::abs(static_cast<double>(out[0][i])));
  }
  // He-scaled weights keep activations O(1): neither blown up nor all zero.
  EXPECT_GT(largest, 1e-6) << name;
  EXPECT_LT(largest, 1e4) << name;
}

TEST(ZooReference, SqueezeNetRunsEndToEnd) { expect_runs_finite("squeezenet_v1.1", {}); }

TEST(ZooReference, MobileNetRunsEndToEnd) {
  ZooOptions o;
  o.image_size = 96;  // the naive references are slow; 96 keeps every layer shape valid
  expect_runs_finite("mobilenet", o);
}

}  // namespace
}  // namespace bcd::frontends
