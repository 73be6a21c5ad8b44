// Sizes computed from user input are checked before they can overflow (issue
// "Hardening", item 1): tensor shapes (graph inputs, constants, every inferred
// shape, ONNX dimensions), reshape targets, and the search's population and
// iterations. Each is a one-line error naming the value; before the checks these
// wrapped around silently (UBSan: signed overflow) or reported absurd FLOP counts.
#include <gtest/gtest.h>

#include "api/tune_config.h"
#include "graph/graph.h"
#include "ops/shape_util.h"
#include "support/memory_limit.h"
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

TEST(CheckedSizes, ByteCountsReadWithTheirUnits) {
  EXPECT_EQ(parse_byte_count("4096", "x"), 4096u);
  EXPECT_EQ(parse_byte_count("512M", "x"), 512u << 20);
  EXPECT_EQ(parse_byte_count("1.5G", "x"), 3u << 29);
  EXPECT_EQ(parse_byte_count("2T", "x"), uint64_t{2} << 40);
  for (const char* bad : {"", "lots", "-1G", "0", "8Q", "1e30T", "nan"})
    EXPECT_NE(error_of([&] { parse_byte_count(bad, "BCD_MEMORY_LIMIT"); }).find("BCD_MEMORY_LIMIT"),
              std::string::npos)
        << bad;
}

// Every array bcd allocates (inputs, weights, buffers, constants) is checked against
// $BCD_MEMORY_LIMIT first: one line naming the shape and the limit.
TEST(CheckedSizes, AnArrayBeyondTheMemoryLimitIsOneLineBeforeAllocating) {
  {
    testutil::ScopedEnv limit("BCD_MEMORY_LIMIT", "16M");
    testutil::BcdRun r = testutil::run_bcd({"op", "dense", "--params", "m=4096,k=4096,n=4096"});
    testutil::expect_one_line_error(r, "an array of shape [4096,4096] needs 0.06 GiB, more than the memory limit of 0.02 GiB");
  }
  testutil::ScopedEnv limit("BCD_MEMORY_LIMIT", "lots");
  testutil::expect_one_line_error(testutil::run_bcd({"op", "dense", "--params", "m=8,k=8,n=8"}),
                                  "BCD_MEMORY_LIMIT must be a positive byte count");
}

}  // namespace
}  // namespace bcd
