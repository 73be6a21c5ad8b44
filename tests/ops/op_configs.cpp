#include "op_configs.h"

#include <gtest/gtest.h>

namespace bcd::ops::optest {

namespace {

std::vector<OpConfig> build_table() {
  std::vector<OpConfig> t;
  auto add = [&](const std::string& op, std::vector<std::string> params, float low = -1.0f,
                 float high = 1.0f) {
    for (auto& p : params) t.push_back({op, p, low, high});
  };
  add("conv2d", {
      "n=1,c=3,h=7,w=7,o=4,kernel=3,stride=1,pad=1",
      "n=2,c=4,h=9,w=11,o=6,kernel=3,stride=2,pad=1",
      "n=1,c=5,h=10,w=9,o=3,kernel=3,dilation=2,pad=2",
      "n=1,c=6,h=8,w=8,o=4,kernel=3,groups=2,pad=1",
      "n=1,c=3,h=7,w=8,o=5,kernel=3x2,stride=2x1,pad=1x0x0x1,layout=NHWC",
      "n=2,c=4,h=6,w=6,o=8,kernel=1,pad=0,layout=NHWC",
      "n=1,c=8,h=9,w=9,o=8,kernel=3,groups=8,pad=1",
      "n=1,c=4,h=7,w=7,o=6,kernel=5,stride=2,pad=2x1x0x2,dilation=1x2,groups=2,layout=NHWC",
      "n=1,c=16,h=5,w=5,o=8,kernel=3,pad=0",
  });
  add("depthwise_conv2d", {
      "n=1,c=4,h=7,w=7,kernel=3,pad=1",
      "n=2,c=3,h=9,w=8,kernel=3,stride=2,pad=1,multiplier=2",
      "n=1,c=5,h=11,w=11,kernel=3,dilation=2,pad=2,layout=NHWC",
      "n=1,c=6,h=8,w=9,kernel=5x3,stride=2x1,pad=2x1x1x0,layout=NHWC,multiplier=3",
      "n=1,c=8,h=5,w=5,kernel=1,pad=0",
      "n=1,c=3,h=6,w=6,kernel=3,pad=0,stride=3",
  });
  add("dense", {
      "m=1,k=7,n=5",
      "m=3,k=17,n=9,bias=1",
      "m=16,k=64,n=32",
      "m=5,k=1,n=3,bias=1",
      "m=7,k=128,n=1",
  });
  add("batch_matmul", {
      "batch=1,m=3,n=5,k=7",
      "batch=3,m=4,n=6,k=9",
      "batch=2,m=5,n=3,k=4,batch_b=1",
      "batch=1,m=4,n=5,k=6,batch_b=3",
      "batch=4,m=1,n=17,k=33",
  });
  for (const char* pool : {"max_pool2d", "avg_pool2d"})
    add(pool, {
        "n=1,c=3,h=8,w=8,kernel=2,stride=2,pad=0",
        "n=2,c=4,h=9,w=9,kernel=3,stride=2,pad=1",
        "n=1,c=3,h=7,w=10,kernel=3x2,stride=1x2,pad=1x0x1x1,layout=NHWC",
        "n=1,c=5,h=11,w=11,kernel=3,stride=3,pad=0,layout=NHWC",
        "n=1,c=2,h=5,w=5,kernel=5,stride=1,pad=2",
    });
  add("avg_pool2d", {"n=1,c=3,h=7,w=7,kernel=3,stride=2,pad=1,count_include_pad=1",
                     "n=1,c=2,h=6,w=5,kernel=2x3,stride=1,pad=1x2,count_include_pad=1,layout=NHWC"});
  add("global_avg_pool2d", {
      "n=1,c=3,h=7,w=7",
      "n=2,c=5,h=4,w=9,layout=NHWC",
      "n=1,c=16,h=1,w=1",
      "n=1,c=4,h=13,w=11",
      "n=3,c=2,h=5,w=5,layout=NHWC",
  });
  add("softmax", {"shape=1x10", "shape=3x17", "shape=2x3x4x5,axis=1", "shape=4x7x6,axis=0",
                  "shape=7", "shape=2x128,axis=-1"}, -4.0f, 4.0f);
  add("reduce", {"shape=1x4x5x5", "shape=3x17,kind=sum,axes=1,keepdims=0", "shape=2x3x4x5,kind=max,axes=0x2",
                  "shape=4x7x6,kind=min,axes=-1,keepdims=0", "shape=7,kind=l2,all=1,keepdims=0",
                  "shape=2x3x4,kind=mean,all=1", "shape=2x5x6,kind=l2,axes=1"});
  add("slice", {"shape=7,starts=1,ends=5", "shape=3x8,starts=-3,ends=100,axes=1",
                 "shape=2x6x5,starts=5x4,ends=0x0,axes=1x2,steps=-2x-1", "shape=4x4x4,starts=0x1,ends=4x4,steps=2x2",
                 "shape=1x12x8,starts=0,ends=-1,axes=-1,steps=3"});
  add("resize", {"shape=1x2x3x4,out=1x2x6x8", "shape=1x2x5x4,out=1x2x3x7,mode=linear",
                  "shape=2x3x4,out=2x5x9,mode=linear,coordinates=align_corners",
                  "shape=1x1x4x6,out=1x1x8x3,rounding=floor,coordinates=asymmetric",
                  "shape=7,out=10,mode=linear,coordinates=pytorch_half_pixel", "shape=3x5,out=7x2,rounding=ceil",
                  "shape=1x2x6x6,out=1x2x4x9,rounding=round_prefer_ceil"});
  add("layer_norm", {"shape=1x8", "shape=3x17", "shape=2x5x64,epsilon=1e-3", "shape=4x1",
                     "shape=1x3x4x33"});
  const std::vector<std::string> shapes{"shape=7", "shape=3x5", "shape=1x3x5x5",
                                        "shape=2x3x4x5x2", "shape=1x64x7x7"};
  add("relu", shapes);
  add("relu6", shapes, -8.0f, 8.0f);  // both clipping points are exercised
  add("sigmoid", shapes, -6.0f, 6.0f);
  add("tanh", shapes, -3.0f, 3.0f);
  add("gelu", shapes, -4.0f, 4.0f);
  add("clip", {"shape=7,lo=-0.5,hi=0.5", "shape=3x5,lo=0,hi=0.25", "shape=1x3x5x5,lo=-1,hi=1",
               "shape=2x3x4x5,lo=0.1,hi=0.1", "shape=1x16x7x7,lo=-2,hi=0.3"});
  const std::vector<std::string> pairs{"a=3x5,b=3x5",         "a=1x3x1x5,b=4x1",
                                       "a=2x3x4x5,b=5",       "a=1,b=2x3",
                                       "a=1x16x7x7,b=1x16x1x1", "a=4x1,b=1x6", "a=2x1x3,b=5x1"};
  for (const char* op : {"add", "subtract", "multiply", "divide"}) add(op, pairs);
  add("pow", pairs, 0.5f, 2.0f);
  add("sqrt", shapes, 0.1f, 4.0f);
  add("exp", shapes, -4.0f, 4.0f);
  add("log", shapes, 0.1f, 4.0f);
  add("erf", shapes, -3.0f, 3.0f);
  add("abs", shapes);
  add("neg", shapes);
  add("reciprocal", shapes, 0.5f, 2.0f);
  const std::vector<std::string> channel{"shape=1x4x5x5,axis=1", "shape=2x7,axis=-1",
                                         "shape=1x5x5x6,axis=3", "shape=3x4x5,axis=0",
                                         "shape=9,axis=0"};
  add("bias_add", channel);
  add("batch_norm", channel);
  add("pad", {"shape=1x3x5x5,before=0x0x1x1", "shape=2x3,before=1x0,after=0x2,value=1.5",
              "shape=1x4x4x3,before=0x2x1x0,after=0x0x3x0,value=-2", "shape=7,before=3,after=0",
              "shape=2x3x4,before=1x1x1,after=1x1x1", "shape=1x2x5x6,before=0x0x2x1,after=0x0x1x3,mode=reflect",
              "shape=7,before=3,after=2,mode=edge", "shape=2x4x3,before=1x3x0,after=0x2x2,mode=edge",
              "shape=4x5,before=3x0,after=2x4,mode=reflect"});
  add("concat", {"shape=1x4x5x5,sizes=4x3,axis=1", "shape=2x3,sizes=3x1x5,axis=1",
                 "shape=2x3x4,sizes=1x2x3x1,axis=0", "shape=1x5x5x6,sizes=6x2,axis=-1",
                 "shape=7,sizes=7,axis=0"});
  add("reshape", {"shape=1x4x5x5,newshape=1x-1", "shape=2x3x4,newshape=4x6",
                  "shape=6x5,newshape=3x2x5", "shape=3x5x7,newshape=7x-1x3",
                  "shape=12,newshape=2x2x3", "shape=2x3x4,newshape=2x3x4"});
  add("flatten", {"shape=1x4x5x5", "shape=2x3x4,axis=2", "shape=2x3x4,axis=0",
                  "shape=2x3x4,axis=3", "shape=3x5,axis=-1"});
  add("transpose", {"shape=1x4x5x6,axes=0x2x3x1", "shape=3x5,axes=1x0",
                    "shape=2x3x4,axes=2x0x1", "shape=2x3x4x5,axes=-1x-2x-3x-4",
                    "shape=1x3x2x7,axes=0x3x1x2"});
  return t;
}

}  // namespace

const std::vector<OpConfig>& op_configs() {
  static const std::vector<OpConfig> table = build_table();
  return table;
}

std::string config_name(const OpConfig& config, size_t index_within_op) {
  return config.op + "_" + std::to_string(index_within_op);
}

std::vector<size_t> config_indices() {
  std::vector<size_t> v(op_configs().size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}

std::string config_param_name(size_t index) {
  const auto& table = op_configs();
  size_t within = 0;
  for (size_t i = 0; i < index; ++i) within += table[i].op == table[index].op;
  return config_name(table[index], within);
}

void expect_outputs_match(const std::vector<NDArray>& actual, const std::vector<NDArray>& expected,
                          const OpConfig& config) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    ArrayDiff diff = compare_arrays(actual[i], expected[i]);
    EXPECT_TRUE(arrays_close(actual[i], expected[i], config.rtol, config.atol))
        << "output " << i << ": max abs " << diff.max_abs << ", max rel " << diff.max_rel;
  }
}

}  // namespace bcd::ops::optest
