// Clustering and representative choice on hand-built task sets.
#include "diffusion/clustering.h"

#include <gtest/gtest.h>

#include "diffusion/diffusion_tuner.h"
#include "search/sketch_signature.h"
#include "frontends/zoo.h"
#include "tuning/network_tasks.h"
#include "ops/nn.h"
#include "ops/registry.h"
#include "search/annotation_rules.h"
#include "search/sketch_rules.h"
#include "testing/error_of.h"

namespace bcd::diffusion {
namespace {

TEST(Representative, HasTheLargestMeanCosineSimilarity) {
  // [1,1] is 45 degrees from both axes: mean (cos45 + 1 + cos45) / 3 beats
  // (1 + cos45 + 0) / 3 of either axis.
  EXPECT_EQ(representative_index({{1, 0}, {1, 1}, {0, 1}}), 1);
  // Shorter vectors are padded with zeros: [1,2] and [2,4,0] point the same way, so
  // they tie (the first wins) and both beat [9,1].
  EXPECT_EQ(representative_index({{2, 4}, {1, 2, 0}, {9, 1}}), 0);
  EXPECT_EQ(representative_index({{9, 1}, {2, 4}, {1, 2}}), 1);
  // Scale does not matter, direction does: [2,2,0] is [1,1,0] scaled, and both sit
  // between the two axes.
  EXPECT_EQ(representative_index({{1, 0, 0}, {2, 2, 0}, {0, 1, 0}, {1, 1, 0}}), 1);
  EXPECT_EQ(representative_index({{5}}), 0);
  EXPECT_EQ(representative_index({{0, 0}, {1, 2}}), 1);  // a zero vector is like nothing
}

TEST(ClusterTasks, GroupsEqualKeysInOrderOfFirstMember) {
  std::vector<std::string> keys = {"conv2d_add_relu", "max_pool2d", "conv2d_add_relu", "conv2d_add_relu", "dense"};
  std::vector<std::vector<int64_t>> shapes = {{1, 0}, {3}, {1, 1}, {0, 1}, {7}};
  std::vector<Cluster> c = cluster_tasks(keys, shapes);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].key, "conv2d_add_relu");
  EXPECT_EQ(c[0].members, (std::vector<int>{0, 2, 3}));
  EXPECT_EQ(c[0].representative, 2);  // the [1,1] one
  EXPECT_EQ(c[1].members, (std::vector<int>{1}));
  EXPECT_EQ(c[1].representative, 1);
  EXPECT_EQ(c[2].members, (std::vector<int>{4}));
}

ir::ComputeDAG dag_of(const std::string& op, const std::string& params) {
  return ops::build_op(op, ops::OpParams::parse(params)).dag;
}

std::vector<schedule::State> sketches_of(const ir::ComputeDAG& dag) {
  search::SearchTask t{dag};
  t.target.hardware.num_cores = 2;
  return search::generate_sketches(t);
}

TEST(ClusterKey, OperatorStripsTheSuffixSketchComparesStructure) {
  ir::ComputeDAG conv = dag_of("conv2d", "c=16,o=32,h=14,w=14");
  EXPECT_EQ(cluster_key(GroupType::Operator, "conv2d_add_relu_13", conv, {}), "conv2d_add_relu");
  EXPECT_EQ(cluster_key(GroupType::Operator, "max_pool2d", conv, {}), "max_pool2d");
  std::string conv_a = cluster_key(GroupType::Sketch, "conv2d", conv, sketches_of(conv));
  std::string conv_b = cluster_key(GroupType::Sketch, "conv2d_1", conv, sketches_of(dag_of("conv2d", "c=64,o=64,h=56,w=56")));
  std::string dense = cluster_key(GroupType::Sketch, "dense", conv, sketches_of(dag_of("dense", "m=16,n=32,k=64")));
  EXPECT_EQ(conv_a, conv_b);  // extents differ, the sketch does not
  EXPECT_NE(conv_a, dense);
  EXPECT_EQ(parse_group_type("sketch"), GroupType::Sketch);
  EXPECT_EQ(testutil::error_of([] { parse_group_type("layer"); }),
            "unknown group type 'layer' (operator, sketch or loops)");
}

TEST(ClusterKey, LoopsSeparatesKernelSizesButNotChannelsOrImageSizes) {
  // NCHW conv2d: spatial n, o, h, w; reduction c, kh, kw.
  EXPECT_EQ(unit_loop_pattern(dag_of("conv2d", "c=64,o=64,h=56,w=56,kernel=1,pad=0")), "1nnn.n11");
  EXPECT_EQ(unit_loop_pattern(dag_of("conv2d", "c=64,o=64,h=56,w=56,kernel=3")), "1nnn.nnn");
  EXPECT_EQ(unit_loop_pattern(dag_of("dense", "m=1,n=32,k=64")), "1n.n");
  EXPECT_EQ(unit_loop_pattern(dag_of("relu", "")), "");  // no reduction
  auto key = [](const std::string& name, const std::string& params) {
    ir::ComputeDAG dag = dag_of("conv2d", params);
    return cluster_key(GroupType::Loops, name, dag, sketches_of(dag));
  };
  ir::ComputeDAG squeeze_dag = dag_of("conv2d", "c=128,o=16,h=55,w=55,kernel=1,pad=0");
  std::string squeeze = cluster_key(GroupType::Loops, "conv2d_add_relu_2", squeeze_dag, sketches_of(squeeze_dag));
  std::string classifier = key("conv2d_add_relu_17", "c=512,o=1000,h=13,w=13,kernel=1,pad=0");
  std::string expand3x3 = key("conv2d_add_relu_3", "c=16,o=64,h=55,w=55,kernel=3");
  std::string stem = key("conv2d_add_relu", "c=3,o=64,h=224,w=224,kernel=3,stride=2,pad=0");
  // The sketch's signature, then the loop pattern.
  EXPECT_EQ(squeeze, cluster_key(GroupType::Sketch, "x", squeeze_dag, sketches_of(squeeze_dag)) + ":1nnn.n11");
  EXPECT_EQ(squeeze, classifier);
  EXPECT_EQ(expand3x3, stem);
  EXPECT_NE(squeeze, expand3x3);
  EXPECT_EQ(parse_group_type("loops"), GroupType::Loops);
  EXPECT_STREQ(group_type_name(GroupType::Loops), "loops");
}

TEST(SketchOf, FindsTheSketchAStateWasAnnotatedFrom) {
  search::SearchTask t{ops::build_op("dense", ops::OpParams::parse("m=16,n=32,k=64")).dag};
  t.target.hardware.num_cores = 2;
  std::vector<schedule::State> sketches = search::generate_sketches(t);
  ASSERT_GE(sketches.size(), 2u);
  search::FactorizationCache cache;
  std::mt19937_64 rng(1);
  search::SearchOptions options;
  for (size_t k = 0; k < sketches.size(); ++k) {
    schedule::State s = search::annotate_sketch(t, options, sketches[k], cache, rng);
    EXPECT_EQ(search::sketch_of(s.history(), sketches), std::optional<int>(static_cast<int>(k)));
  }
  EXPECT_EQ(search::sketch_of({}, sketches), std::nullopt);
}

}  // namespace
TEST(Clustering, ANetworksClustersAreTheOnesItsTuningRunForms) {
  // `bcd tasks` shows cluster_network_tasks; a tuning run forms cluster_scheduled_tasks.
  frontends::ZooOptions zoo;
  zoo.image_size = 32;
  graph::TaskSet set = graph::extract_tasks(frontends::build_model("squeezenet_v1.1", zoo));
  auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
  tuning::NetworkTuningOptions options;
  tuning::TaskScheduler scheduler(tuning::make_scheduled_tasks(set, model, options), {}, nullptr, nullptr);
  std::vector<const graph::Task*> tuned;
  for (int i : tuning::tuned_task_indices(set, false)) tuned.push_back(&set.tasks[i]);
  for (GroupType type : {GroupType::Operator, GroupType::Sketch, GroupType::Loops}) {
    std::vector<Cluster> shown = cluster_network_tasks(tuned, type, options.target);
    std::vector<Cluster> formed = cluster_scheduled_tasks(scheduler, type);
    ASSERT_EQ(shown.size(), formed.size()) << group_type_name(type);
    ASSERT_GT(shown.size(), 1u);
    for (size_t c = 0; c < shown.size(); ++c) {
      EXPECT_EQ(shown[c].members, formed[c].members) << group_type_name(type) << " " << c;
      EXPECT_EQ(shown[c].representative, formed[c].representative) << group_type_name(type) << " " << c;
    }
  }
}

}  // namespace bcd::diffusion
