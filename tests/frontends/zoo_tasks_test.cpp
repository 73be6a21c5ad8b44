// Task extraction of whole networks, checked against counts derived by hand from
// the architectures (the reasoning is in the comments).
#include <gtest/gtest.h>

#include <utility>

#include "frontends/zoo.h"
#include "graph/tasks.h"

namespace bcd::frontends {
namespace {

using NameWeight = std::vector<std::pair<std::string, int>>;

NameWeight names_and_weights(const graph::TaskSet& ts) {
  NameWeight r;
  for (const graph::Task& t : ts.tasks) r.emplace_back(t.name, t.weight);
  return r;
}

// ResNet-18 v1: the stem (7x7/2 conv + folded BN + ReLU, then a 3x3/2 max pool),
// four stages of two basic blocks, global pool, flatten, dense.
// - Stage 1 (64 channels, 56x56) has no downsampling: both blocks are identical, so
//   2 tasks of weight 2: conv+bias+relu, and conv+bias+residual add+relu
//   (the add fuses into the second conv, whose output has a single consumer).
// - Stages 2-4 each give 4 distinct convolutions: the strided 3x3 of block 1
//   (weight 1), the 1x1 strided projection shortcut "conv2d_add" (weight 1), the
//   second 3x3 with the residual add (same shape in both blocks: weight 2) and the
//   first 3x3 of block 2 (stride 1, from the stage's width: weight 1).
// Conv tasks: 1 + 2 + 3 x 4 = 15; with max pool, global pool, flatten and dense:
// 19 tasks, 18 with a reduction (flatten is simple). Subgraphs: 20 convolutions
// + 4 = 24 = the sum of the weights.
TEST(TaskExtractionZoo, ResNet18) {
  for (const char* model : {"resnet-18", "mxnet"}) {
    graph::TaskSet ts = graph::extract_tasks(build_model(model));
    // The second conv of a block adds the bias and the residual before its relu:
    // "conv2d_add_add_relu", a cluster of its own (as in TVM).
    const NameWeight expected = {
        {"conv2d_add_relu", 1},       {"max_pool2d", 1},
        {"conv2d_add_relu_1", 2},     {"conv2d_add_add_relu", 2},  // stage 1 (2nd: residual)
        {"conv2d_add_relu_2", 1},     {"conv2d_add", 1},
        {"conv2d_add_add_relu_1", 2}, {"conv2d_add_relu_3", 1},  // stage 2
        {"conv2d_add_relu_4", 1},     {"conv2d_add_1", 1},
        {"conv2d_add_add_relu_2", 2}, {"conv2d_add_relu_5", 1},  // stage 3
        {"conv2d_add_relu_6", 1},     {"conv2d_add_2", 1},
        {"conv2d_add_add_relu_3", 2}, {"conv2d_add_relu_7", 1},  // stage 4
        {"global_avg_pool2d", 1},  {"flatten", 1},
        {"dense_add", 1}};
    EXPECT_EQ(names_and_weights(ts), expected) << model;
    EXPECT_EQ(ts.subgraphs.size(), 24u);
    int simple = 0;
    for (const graph::Task& t : ts.tasks) simple += t.simple;
    EXPECT_EQ(simple, 1);
  }
}

// SqueezeNet 1.1 (NCHW, 224): conv 3x3/2 (224 -> 111), max pools at 111 -> 55,
// 55 -> 27, 27 -> 13, and eight Fire modules (squeeze s, expand e) in pairs:
// (16,64) x2 at 55, (32,128) x2 at 27, (48,192) x2 and (64,256) x2 at 13.
// In a pair the input channels differ (the first Fire reads the previous width),
// so all 8 squeeze convs are distinct (weight 1), while the two expand convs
// (1x1 and 3x3, both reading the squeeze output) and the concat repeat in the
// second Fire of a pair (weight 2 each, 4 distinct of each kind). Every conv has a
// bias and a ReLU: 1 + 8 + 4 + 4 + 1 (classifier) = 18 "conv2d_add_relu" tasks.
// With 3 max pools, 4 concats, the global pool and flatten: 27 tasks, 22 with a
// reduction. Subgraphs: 26 convs + 3 pools + 8 concats + global pool + flatten = 39.
TEST(TaskExtractionZoo, SqueezeNet11) {
  graph::TaskSet ts = graph::extract_tasks(build_model("squeezenet_v1.1"));
  const NameWeight expected = {
      {"conv2d_add_relu", 1},     {"max_pool2d", 1},
      {"conv2d_add_relu_1", 1},   {"conv2d_add_relu_2", 2},  {"conv2d_add_relu_3", 2},
      {"concat", 2},              {"conv2d_add_relu_4", 1},  // fire 1, 2
      {"max_pool2d_1", 1},
      {"conv2d_add_relu_5", 1},   {"conv2d_add_relu_6", 2},  {"conv2d_add_relu_7", 2},
      {"concat_1", 2},            {"conv2d_add_relu_8", 1},  // fire 3, 4
      {"max_pool2d_2", 1},
      {"conv2d_add_relu_9", 1},   {"conv2d_add_relu_10", 2}, {"conv2d_add_relu_11", 2},
      {"concat_2", 2},            {"conv2d_add_relu_12", 1},  // fire 5, 6
      {"conv2d_add_relu_13", 1},  {"conv2d_add_relu_14", 2}, {"conv2d_add_relu_15", 2},
      {"concat_3", 2},            {"conv2d_add_relu_16", 1},  // fire 7, 8
      {"conv2d_add_relu_17", 1},  {"global_avg_pool2d", 1},  {"flatten", 1}};
  EXPECT_EQ(names_and_weights(ts), expected);
  EXPECT_EQ(ts.subgraphs.size(), 39u);
  int simple = 0;
  for (const graph::Task& t : ts.tasks) simple += t.simple;
  EXPECT_EQ(simple, 5);
  // The task of a subgraph computes that subgraph's workload.
  for (size_t s = 0; s < ts.subgraphs.size(); ++s)
    EXPECT_LT(ts.subgraph_task[s], static_cast<int>(ts.tasks.size()));
}

}  // namespace
}  // namespace bcd::frontends
