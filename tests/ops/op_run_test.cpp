// Every registered operator, in every configuration of the table: the lowered
// default program must compute what the independent reference computes.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "op_configs.h"
#include "ops/registry.h"
#include "runtime/run_dag.h"
#include "support/error.h"

namespace bcd::ops {
namespace {

using optest::op_configs;
using optest::OpConfig;

std::vector<NDArray> config_inputs(const OpInstance& inst, const OpConfig& config, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<NDArray> inputs;
  for (size_t i = 0; i < inst.dag.inputs().size(); ++i) {
    inputs.emplace_back(inst.dag.inputs()[i]->shape);
    auto [low, high] = i < inst.input_ranges.size() ? inst.input_ranges[i]
                                                    : std::pair{config.low, config.high};
    inputs.back().fill_random(rng, low, high);
  }
  return inputs;
}

std::vector<const NDArray*> pointers(const std::vector<NDArray>& arrays) {
  std::vector<const NDArray*> p;
  for (const auto& a : arrays) p.push_back(&a);
  return p;
}

TEST(OpConfigs, EveryRegisteredOperatorHasAtLeastFiveConfigs) {
  std::map<std::string, int> count;
  for (const auto& c : op_configs()) ++count[c.op];
  for (const auto& def : op_registry()) EXPECT_GE(count[def.name], 5) << def.name;
  EXPECT_EQ(op_registry().size(), 37u);
}

TEST(OpConfigs, EveryConfigNamesARegisteredOperatorAndBuilds) {
  for (const auto& c : op_configs()) {
    SCOPED_TRACE(c.op + " " + c.params);
    EXPECT_NO_THROW(find_op(c.op));
    EXPECT_NO_THROW(build_op(c.op, OpParams::parse(c.params)));
  }
}

TEST(OpConfigs, DefaultsBuildForEveryOperator) {
  for (const auto& def : op_registry()) {
    SCOPED_TRACE(def.name);
    OpInstance inst = build_op(def.name, {});
    EXPECT_FALSE(inst.dag.outputs().empty());
    EXPECT_FALSE(def.help.empty());
    EXPECT_EQ(def.help.find('\n'), std::string::npos);
    EXPECT_GT(inst.dag.flop_count() + 1, 0);
  }
}

class OpMatchesReference : public ::testing::TestWithParam<size_t> {};

// The reference alone: output shapes agree with the declaration's, values are finite.
TEST_P(OpMatchesReference, ReferenceShapesAgreeWithDeclaration) {
  const OpConfig& config = op_configs()[GetParam()];
  SCOPED_TRACE(config.op + " " + config.params);
  OpInstance inst = build_op(config.op, OpParams::parse(config.params));
  std::vector<NDArray> inputs = config_inputs(inst, config, 42 + GetParam());
  std::vector<NDArray> expected = inst.reference(pointers(inputs));
  ASSERT_EQ(expected.size(), inst.dag.outputs().size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(expected[i].shape(), inst.dag.outputs()[i]->shape);
    for (int64_t k = 0; k < expected[i].size(); ++k) ASSERT_TRUE(std::isfinite(expected[i][k]));
  }
}

TEST_P(OpMatchesReference, DefaultProgramMatchesReference) {
  const OpConfig& config = op_configs()[GetParam()];
  SCOPED_TRACE(config.op + " " + config.params);
  OpInstance inst = build_op(config.op, OpParams::parse(config.params));
  std::vector<NDArray> inputs = config_inputs(inst, config, 1234 + GetParam());
  std::vector<NDArray> expected = inst.reference(pointers(inputs));
  std::vector<NDArray> actual = runtime::run_dag_default(inst.dag, pointers(inputs));
  optest::expect_outputs_match(actual, expected, config);
}

INSTANTIATE_TEST_SUITE_P(OpAll, OpMatchesReference, ::testing::ValuesIn(ops::optest::config_indices()),
                         [](const auto& info) { return ops::optest::config_param_name(info.param); });

}  // namespace
}  // namespace bcd::ops
