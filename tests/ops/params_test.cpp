// OpParams: parsing "key=value" lists and the typed getters.
#include <gtest/gtest.h>

#include "ops/registry.h"
#include "support/error.h"

namespace bcd::ops {
namespace {

TEST(OpParams, ParsesIntsListsStringsAndFloats) {
  OpParams p = OpParams::parse("n=2, shape=1x3x5x5 ,layout=NHWC,eps=1e-3,neg=-4,axes=0x-1");
  EXPECT_EQ(p.get_int("n", 0), 2);
  EXPECT_EQ(p.get_ints("shape", {}), (std::vector<int64_t>{1, 3, 5, 5}));
  EXPECT_EQ(p.get_str("layout", "NCHW"), "NHWC");
  EXPECT_DOUBLE_EQ(p.get_float("eps", 0), 1e-3);
  EXPECT_EQ(p.get_int("neg", 0), -4);
  EXPECT_EQ(p.get_ints("axes", {}), (std::vector<int64_t>{0, -1}));
  EXPECT_EQ(p.get_ints("n", {}), (std::vector<int64_t>{2}));  // one value is a list of one
  EXPECT_NO_THROW(p.check_all_used("x"));
}

TEST(OpParams, FallbacksAndEmptyText) {
  OpParams p = OpParams::parse("  ");
  EXPECT_EQ(p.get_int("n", 7), 7);
  EXPECT_EQ(p.get_ints("s", {1, 2}), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(p.get_str("layout", "NCHW"), "NCHW");
  EXPECT_DOUBLE_EQ(p.get_float("e", 0.5), 0.5);
  EXPECT_FALSE(p.has("n"));
  EXPECT_NO_THROW(p.check_all_used("x"));
}

TEST(OpParams, UnusedKeyFailsNamingItAndTheKnownKeys) {
  OpParams p = OpParams::parse("n=1,strid=2");
  p.get_int("n", 1);
  p.get_ints("stride", {1});
  try {
    p.check_all_used("conv2d");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "conv2d: unknown parameter 'strid' (parameters: n, stride)");
  }
}

TEST(OpParams, RoundTripsThroughToString) {
  OpParams p = OpParams::parse("b=2,a=1x2");
  EXPECT_EQ(p.to_string(), "a=1x2,b=2");
  EXPECT_EQ(OpParams::parse(p.to_string()).to_string(), p.to_string());
  p.set("c", "NHWC");
  EXPECT_TRUE(p.has("c"));
}

TEST(OpParams, BadValuesFailOnRead) {
  OpParams p = OpParams::parse("a=12x,b=x,c=3.5,d=inf,e=99999999999999999999");
  EXPECT_THROW(p.get_ints("a", {}), Error);
  EXPECT_THROW(p.get_ints("b", {}), Error);
  EXPECT_THROW(p.get_int("c", 0), Error);
  EXPECT_THROW(p.get_float("d", 0), Error);
  EXPECT_THROW(p.get_int("e", 0), Error);  // out of range
  EXPECT_DOUBLE_EQ(p.get_float("c", 0), 3.5);
}

}  // namespace
}  // namespace bcd::ops
