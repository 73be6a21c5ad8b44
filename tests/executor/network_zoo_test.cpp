// Every zoo model builds as a whole network with default schedules, and its output
// matches the reference executor's on the same graph. Small variants (small
// images, a one-layer BERT with 16 tokens) keep the naive double-precision
// reference fast; they have the same operators, fusion and task structure as the
// full models, only smaller shapes.
#include <gtest/gtest.h>

#include <map>

#include "executor/memory_plan_checks.h"
#include "executor/network.h"
#include "executor/verify.h"
#include "frontends/zoo.h"
#include "testing/param_names.h"

namespace bcd::executor {
namespace {

frontends::ZooOptions small_variant(const std::string& model) {
  frontends::ZooOptions o;
  o.image_size = 32;  // the CNNs downsample by 32: their last feature map is 1x1
  if (model == "inception_v3") o.image_size = 75;  // its stem's valid convolutions need 75
  if (model == "bert") {
    o.bert_layers = 2;  // two layers: a value crosses a layer boundary
    o.bert_seq_len = 16;
  }
  return o;
}

class ExecutorZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(ExecutorZoo, DefaultSchedulesMatchTheReference) {
  const std::string& model = GetParam();
  graph::Graph g = frontends::build_model(model, small_variant(model));
  Network net = Network::build(g, {});
  EXPECT_EQ(net.kernels().tuned_count(), 0);
  EXPECT_FALSE(net.kernels().kernels.empty());

  const MemoryPlan& plan = net.memory_plan();
  testutil::expect_valid_plan(plan);
  EXPECT_LT(plan.planned_bytes, plan.unplanned_bytes) << model;

  Verification v = verify_network(net, g, /*seed=*/3);
  ASSERT_EQ(v.outputs.size(), g.outputs().size());
  EXPECT_TRUE(v.ok) << model << ": max abs error " << v.worst.max_abs << ", max rel error " << v.worst.max_rel;
  // Not trivially zero: the comparison would pass on an all-zero network otherwise.
  EXPECT_GT(v.worst.max_abs, 0.0) << model << " matches a double-precision reference bit for bit?";
}

INSTANTIATE_TEST_SUITE_P(Executor, ExecutorZoo, ::testing::ValuesIn(frontends::model_names()),
                         testutil::IdentifierOfParam());

}  // namespace
}  // namespace bcd::executor
