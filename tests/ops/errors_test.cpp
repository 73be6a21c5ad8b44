// Invalid operators, parameters, attributes and shapes fail with one-line errors
// that name the operator and the problem.
#include <gtest/gtest.h>

#include "ops/nn.h"
#include "ops/registry.h"
#include "support/error.h"

namespace bcd::ops {
namespace {

// The message of the bcd::Error that `f` throws ("" and a test failure if none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "multi-line error: " << msg;
    return msg;
  }
  ADD_FAILURE() << "expected a bcd::Error";
  return "";
}

std::string build_error(const std::string& op, const std::string& params) {
  return error_of([&] { build_op(op, OpParams::parse(params)); });
}

#define EXPECT_CONTAINS(haystack, needle)                                   \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)          \
      << "'" << (haystack) << "' does not contain '" << (needle) << "'"

TEST(OpErrors, UnknownOperatorListsTheKnownOnes) {
  std::string msg = error_of([] { find_op("foo"); });
  EXPECT_CONTAINS(msg, "unknown operator 'foo' (known: conv2d, depthwise_conv2d, dense");
  EXPECT_CONTAINS(msg, "slice)");
  EXPECT_CONTAINS(error_of([] { build_op("conv3d", {}); }), "unknown operator 'conv3d'");
}

TEST(OpErrors, UnknownParameterIsNamed) {
  std::string msg = build_error("conv2d", "strid=2");
  EXPECT_EQ(msg.rfind("conv2d: unknown parameter 'strid'", 0), 0u) << msg;
  EXPECT_CONTAINS(msg, "stride");  // the known parameters follow
  EXPECT_CONTAINS(build_error("relu", "shape=3,axis=1"), "relu: unknown parameter 'axis'");
}

TEST(OpErrors, MalformedParameterText) {
  for (const char* text : {"a", "=3", "a=1,,b=2", "a=1,a=2", "a=", "1a=2", "a b=1", "a=1,"})
    EXPECT_FALSE(error_of([&] { OpParams::parse(text); }).empty()) << text;
  EXPECT_CONTAINS(error_of([] { OpParams::parse("a=1,a=2"); }), "parameter 'a' given twice");
  EXPECT_CONTAINS(error_of([] { OpParams::parse("n"); }), "expected key=value");
}

TEST(OpErrors, NonIntegerValues) {
  EXPECT_CONTAINS(build_error("conv2d", "n=1.5"), "conv2d: parameter 'n' = '1.5' is not an integer");
  EXPECT_CONTAINS(build_error("conv2d", "stride=2a"),
                  "conv2d: parameter 'stride' = '2a' is not a list of integers");
  EXPECT_CONTAINS(build_error("relu", "shape=1xx3"), "relu: parameter 'shape' = '1xx3'");
  EXPECT_CONTAINS(build_error("clip", "lo=low"), "clip: parameter 'lo' = 'low' is not a finite number");
  EXPECT_CONTAINS(build_error("dense", "bias=2"), "dense: parameter 'bias' must be 0 or 1");
}

TEST(OpErrors, NonPositiveSizes) {
  EXPECT_CONTAINS(build_error("conv2d", "n=0"), "conv2d: parameter 'n' must be positive, got 0");
  EXPECT_CONTAINS(build_error("conv2d", "stride=0"), "conv2d: stride 0x0 must be positive");
  EXPECT_CONTAINS(build_error("conv2d", "kernel=3x0"), "conv2d: kernel 3x0 must be positive");
  EXPECT_CONTAINS(build_error("conv2d", "pad=-1"), "conv2d: negative padding");
  EXPECT_CONTAINS(build_error("conv2d", "pad=1x2x3"), "conv2d: padding needs 1, 2");
  EXPECT_CONTAINS(build_error("relu", "shape=3x0"), "relu: parameter 'shape' shape 3x0 has a non-positive dimension");
  EXPECT_CONTAINS(build_error("dense", "k=-4"), "dense: parameter 'k' must be positive");
  EXPECT_CONTAINS(build_error("concat", "sizes=2x0"), "concat: size 0 of input 1 must be positive");
}

TEST(OpErrors, ConvolutionGeometry) {
  EXPECT_CONTAINS(build_error("conv2d", "c=6,groups=4"),
                  "conv2d: input channels 6 not divisible by groups 4");
  EXPECT_CONTAINS(build_error("conv2d", "c=8,o=6,groups=4"),
                  "conv2d: output channels 6 not divisible by groups 4");
  EXPECT_CONTAINS(build_error("conv2d", "h=5,w=5,kernel=7,pad=0"),
                  "conv2d: kernel 7x7 larger than padded input 5x5");
  EXPECT_CONTAINS(build_error("conv2d", "h=5,w=5,kernel=3,dilation=3,pad=0"),
                  "conv2d: dilated kernel 7x7 larger than padded input 5x5");
  EXPECT_CONTAINS(build_error("conv2d", "layout=NCWH"), "conv2d: unknown layout 'NCWH'");
  EXPECT_CONTAINS(build_error("depthwise_conv2d", "h=2,w=2,kernel=5,pad=1"),
                  "depthwise_conv2d: kernel 5x5 larger than padded input 4x4");
  // Through the API: the weight disagrees with the data.
  auto data = ir::placeholder({1, 4, 8, 8}, "data");
  auto weight = ir::placeholder({8, 3, 3, 3}, "weight");
  EXPECT_CONTAINS(error_of([&] { conv2d(data, weight, {}); }),
                  "conv2d: weight 8x3x3x3 (NCHW) has 3 input channels per group, expected 4");
  EXPECT_CONTAINS(error_of([&] { conv2d(data, ir::placeholder({8, 4, 3}, "w"), {}); }),
                  "conv2d: weight must have rank 4, got shape 8x4x3");
}

TEST(OpErrors, PoolingGeometry) {
  EXPECT_CONTAINS(build_error("max_pool2d", "kernel=2,pad=2"),
                  "max_pool2d: padding 2x2x2x2 must be smaller than kernel 2x2");
  EXPECT_CONTAINS(build_error("avg_pool2d", "h=2,w=2,kernel=5,pad=1"),
                  "avg_pool2d: kernel 5x5 larger than padded input 4x4");
  EXPECT_CONTAINS(build_error("global_avg_pool2d", "layout=CHWN"), "unknown layout 'CHWN'");
}

TEST(OpErrors, AxesAndShapes) {
  EXPECT_CONTAINS(build_error("softmax", "shape=3x4,axis=2"), "softmax: axis 2 out of range for rank 2");
  EXPECT_CONTAINS(build_error("bias_add", "shape=3x4,axis=-3"), "bias_add: axis -3 out of range");
  EXPECT_CONTAINS(build_error("add", "a=3x4,b=2x4"), "add: shapes 3x4 and 2x4 are not broadcastable");
  EXPECT_CONTAINS(build_error("reduce", "kind=median"),
                  "reduce: unknown reduction 'median' (expected sum, mean, max, min, l2)");
  EXPECT_CONTAINS(build_error("pad", "mode=wrap"), "pad: unknown padding mode 'wrap' (expected constant, reflect, edge)");
  EXPECT_CONTAINS(build_error("resize", "coordinates=tf_crop_and_resize"),
                  "resize: unknown coordinate transformation 'tf_crop_and_resize' (expected half_pixel");
  EXPECT_CONTAINS(build_error("resize", "rounding=up"), "resize: unknown nearest rounding 'up'");
  EXPECT_CONTAINS(build_error("reduce", "shape=2x3,axes=2"), "axis 2 is out of range for rank 2");
  EXPECT_CONTAINS(build_error("slice", "shape=4,starts=0,ends=4,steps=0"), "step 0");
  EXPECT_CONTAINS(build_error("divide", "a=1x3x1x5,b=4x1x5"),
                  "divide: shapes 1x3x1x5 and 4x1x5 are not broadcastable");
  EXPECT_CONTAINS(build_error("reshape", "shape=2x3,newshape=4x2"),
                  "reshape: cannot reshape 2x3 (6 elements) into 4x2 (8 elements)");
  EXPECT_CONTAINS(build_error("reshape", "shape=2x3,newshape=-1x-1"), "more than one -1");
  EXPECT_CONTAINS(build_error("reshape", "shape=2x3,newshape=4x-1"), "cannot reshape 2x3 into 4x-1");
  EXPECT_CONTAINS(build_error("transpose", "shape=2x3,axes=0x0"), "transpose: axis 0 repeated");
  EXPECT_CONTAINS(build_error("transpose", "shape=2x3,axes=0x1x2"), "transpose: 3 axes given for rank 2");
  EXPECT_CONTAINS(build_error("flatten", "shape=2x3,axis=3"), "flatten: axis 3 out of range");
  EXPECT_CONTAINS(build_error("pad", "shape=2x3,before=1"), "pad: padding needs 2 values");
  EXPECT_CONTAINS(build_error("pad", "shape=2x3,before=1x-1"), "pad: negative padding");
  EXPECT_CONTAINS(build_error("clip", "lo=1,hi=0"), "clip: lower bound 1 above upper bound 0");
  EXPECT_CONTAINS(build_error("layer_norm", "epsilon=-1"), "layer_norm: epsilon -1 must be non-negative");
  EXPECT_CONTAINS(build_error("batch_matmul", "batch=2,batch_b=3"),
                  "batch_matmul: batch sizes 2 and 3 are not broadcastable");
}

TEST(OpErrors, ApiShapeMismatches) {
  auto x = ir::placeholder({4, 8}, "x");
  EXPECT_CONTAINS(error_of([&] { dense(x, ir::placeholder({3, 7}, "w")); }),
                  "dense: data 4x8 and weight 3x7 disagree on the reduction size");
  EXPECT_CONTAINS(error_of([&] { dense(x, ir::placeholder({3, 8}, "w"), ir::placeholder({4}, "b")); }),
                  "dense: bias has 4 elements, expected 3");
  EXPECT_CONTAINS(error_of([&] { batch_matmul(ir::placeholder({2, 3, 4}, "a"), ir::placeholder({2, 3, 5}, "b")); }),
                  "batch_matmul: a 2x3x4 and b 2x3x5 disagree");
  EXPECT_CONTAINS(error_of([&] { concat({x, ir::placeholder({5, 7}, "y")}, 0); }),
                  "concat: input 1 shape 5x7 differs from input 0 shape 4x8 outside axis 0");
  EXPECT_CONTAINS(error_of([&] { concat({}, 0); }), "concat: needs at least one input");
  EXPECT_CONTAINS(error_of([&] { layer_norm(x, ir::placeholder({4}, "g"), ir::placeholder({8}, "b")); }),
                  "layer_norm: gamma has 4 elements, expected 8");
  EXPECT_CONTAINS(error_of([&] { batch_norm(x, ir::placeholder({8}, "s"), ir::placeholder({4}, "t"), 1); }),
                  "batch_norm: shift has 4 elements, expected 8");
  EXPECT_CONTAINS(error_of([&] { bias_add(x, ir::placeholder({4, 1}, "b"), 0); }),
                  "bias_add: bias must have rank 1");
  EXPECT_CONTAINS(error_of([&] { relu(ir::Tensor()); }), "relu: data is missing");
}

}  // namespace
}  // namespace bcd::ops
