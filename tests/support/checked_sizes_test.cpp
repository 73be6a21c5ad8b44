// Sizes computed from user input are checked before they can overflow (issue
// "Hardening", item 1): tensor shapes (graph inputs, constants, every inferred
// shape, ONNX dimensions), reshape targets, and the search's population and
// iterations. Each is a one-line error naming the value; before the checks these
// wrapped around silently (UBSan: signed overflow) or reported absurd FLOP counts.
#include <gtest/gtest.h>

#include "api/tune_config.h"
#include "graph/graph.h"
#include "ops/shape_util.h"
#include "support/ndarray.h"
#include "testing/bcd_cli.h"
#include "testing/error_of.h"

namespace bcd {
namespace {

using testutil::error_of;

TEST(CheckedSizes, ShapeSizeRefusesWhatCannotBeHeld) {
  EXPECT_EQ(checked_shape_size({2, 3, 4}, "x"), 24);
  EXPECT_EQ(checked_shape_size({}, "x"), 1);
  EXPECT_NE(error_of([] { checked_shape_size({2, 0}, "input 'x'"); }).find("input 'x': shape [2,0] has a dimension below 1"),
            std::string::npos);
  // 2^32 x 2^32 overflows int64 arithmetic on the way: refused, not wrapped.
  const std::string huge = error_of([] { checked_shape_size({int64_t{1} << 32, int64_t{1} << 32, 7}, "w"); });
  EXPECT_NE(huge.find("more than 2^36 elements"), std::string::npos) << huge;
  EXPECT_NE(error_of([] { checked_shape_size({int64_t{1} << 37}, "w"); }).find("more than 2^36"), std::string::npos);
}

TEST(CheckedSizes, GraphShapesAndReshapeTargetsAreChecked) {
  graph::Graph g;
  EXPECT_NE(error_of([&] { g.add_input("x", {1, int64_t{1} << 40, 1 << 20}); }).find("input 'x'"), std::string::npos);
  EXPECT_NE(error_of([&] { g.add_constant("w", {int64_t{1} << 62, 4}, graph::ConstantInit{}); }).find("constant 'w'"),
            std::string::npos);
  int x = g.add_input("x", {4, 4});
  graph::NodeAttrs big;
  big.new_shape = {int64_t{1} << 40, int64_t{1} << 40, -1};
  const std::string reshape = error_of([&] { g.add_op(graph::OpType::Reshape, {x}, big); });
  EXPECT_NE(reshape.find("more than 2^36 elements"), std::string::npos) << reshape;
}

TEST(CheckedSizes, SearchSizesHaveUpperBounds) {
  api::TuneConfig c;
  api::check_config(c);
  c.search.population = 2'000'000'000;
  EXPECT_NE(error_of([&] { api::check_config(c); }).find("population must be between 1 and 1000000"),
            std::string::npos);
  c = {};
  c.search.num_iterations = 2'000'000'000;
  EXPECT_NE(error_of([&] { api::check_config(c); }).find("iterations must be between 0 and 10000"),
            std::string::npos);
}

}  // namespace
}  // namespace bcd
