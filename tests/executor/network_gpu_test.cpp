// Whole networks on the GPU (target cuda): default GPU schedules for every task,
// weights and activations mirrored on the device, output compared with the CPU
// reference executor; the kernels replayed as a CUDA graph give exactly what
// launching them one by one gives. Needs a GPU: skips with the reason elsewhere;
// where there is none, asking for one is a one-line error.
#include <gtest/gtest.h>

#include "executor/network.h"
#include "executor/verify.h"
#include "frontends/zoo.h"
#include "graph/reference_executor.h"
#include "runtime/cuda_compiler.h"
#include "runtime/cuda_driver.h"
#include "testing/error_of.h"
#include "testing/param_names.h"

namespace bcd::executor {
namespace {

TEST(ExecutorGpu, WithoutADeviceCudaIsAOneLineError) {
  std::string why;
  if (runtime::cuda_device_available(&why)) GTEST_SKIP() << "a CUDA device is present";
  frontends::ZooOptions o;
  o.image_size = 32;
  graph::Graph g = frontends::build_model("squeezenet_v1.1", o);
  const std::string message = testutil::error_of([&] { Network::build(g, {}, {.target = Target::gpu()}); });
  EXPECT_NE(message.find("target cuda"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

class ExecutorGpuZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(ExecutorGpuZoo, DefaultGpuSchedulesMatchTheReference) {
  std::string why;
  if (!runtime::cuda_device_available(&why)) GTEST_SKIP() << "no CUDA device: " << why;
  frontends::ZooOptions o;
  o.image_size = 64;
  o.bert_layers = 1;
  o.bert_seq_len = 16;
  graph::Graph g = frontends::build_model(GetParam(), o);
  Network net = Network::build(g, {}, {.target = Target::gpu()});
  ASSERT_TRUE(net.on_gpu());
  Verification v = verify_network(net, g, /*seed=*/3);
  EXPECT_TRUE(v.ok) << GetParam() << ": max abs error " << v.worst.max_abs << ", max rel error " << v.worst.max_rel;
  EXPECT_GT(v.worst.max_abs, 0.0) << "bit-exact against a double-precision reference?";
  // A second run reuses the device buffers and gives the same answer.
  std::vector<NDArray> inputs = graph::random_inputs(g, 3);
  std::vector<const NDArray*> args;
  for (const NDArray& a : inputs) args.push_back(&a);
  std::vector<NDArray> first = net.run(args), second = net.run(args);
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i)
    for (int64_t j = 0; j < first[i].size(); ++j) ASSERT_EQ(first[i][j], second[i][j]);

  // The CUDA graph replays exactly the launches made one by one.
  ASSERT_TRUE(net.uses_cuda_graph());
  Network stepwise = Network::build(g, {}, {.target = Target::gpu(), .cuda_graph = false});
  ASSERT_FALSE(stepwise.uses_cuda_graph());
  std::vector<NDArray> launched = stepwise.run(args);
  for (size_t i = 0; i < first.size(); ++i)
    for (int64_t j = 0; j < first[i].size(); ++j) ASSERT_EQ(first[i][j], launched[i][j]) << "output " << i << " at " << j;
  for (double s : net.time_on_device(3)) EXPECT_GT(s, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Executor, ExecutorGpuZoo, ::testing::Values("squeezenet_v1.1", "resnet-18", "bert"),
                         testutil::IdentifierOfParam());

}  // namespace
}  // namespace bcd::executor
