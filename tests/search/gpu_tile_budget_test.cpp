// GPU tile sizes drawn within the hardware's limits (search/gpu_tile_budget.h):
// the budget's arithmetic on a dense layer, and the share of sampled GPU programs
// that pass the limits check, which was 20-24% when tile sizes were drawn
// independently and every sample lowered to find out.
#include <gtest/gtest.h>

#include <random>

#include "ops/registry.h"
#include "search/annotation_rules.h"
#include "search/gpu_tile_budget.h"
#include "search/sketch_rules.h"
#include "support/error.h"
#include "testing/gpu_states.h"

using namespace bcd;

TEST(GpuTileBudget, CountsThreadsVthreadsRegistersAndTheInputsTiles) {
  // dense: out[m, n] = sum over k of data[m, k] * weight[n, k]; axes m, n, then k.
  ops::OpInstance inst = ops::build_op("dense", ops::OpParams::parse("m=64,k=128,n=64"));
  const ir::OpNode& op = *inst.dag.outputs()[0].op();
  HardwareParams hw = default_gpu_hardware();
  search::GpuTileBudget budget(hw, op);
  EXPECT_EQ(budget.shared_bytes(), 2 * 4);  // one element of each input
  budget.take(2, {2, 4});                   // a fetch covers 8 of k
  EXPECT_EQ(budget.shared_bytes(), (8 + 8) * 4);
  budget.take(0, {1, 8, 1, 1});  // m: 8 threads
  budget.take(1, {2, 16, 2, 1}); // n: 2 vthreads x 16 threads x 2
  EXPECT_EQ(budget.shared_bytes(), (8 * 8 + 64 * 8) * 4);
  // Threads: 128 so far; 1024 at most.
  EXPECT_FALSE(search::GpuTileBudget(budget).admits(0, {1, 16, 1, 1}));
  search::GpuTileBudget wide(hw, op);
  wide.take(0, {1, 32, 1, 1});
  EXPECT_TRUE(wide.admits(1, {1, 32, 1, 1}));
  EXPECT_FALSE(wide.admits(1, {1, 64, 1, 1}));
  // Virtual threads: at most hw.max_vthread_extent (8).
  search::GpuTileBudget v(hw, op);
  v.take(0, {4, 1, 1, 1});
  EXPECT_TRUE(v.admits(1, {2, 1, 1, 1}));
  EXPECT_FALSE(v.admits(1, {4, 1, 1, 1}));
  // Shared memory: a 64 x 128 tile of k for both inputs is 64 KiB, over 48 KiB.
  search::GpuTileBudget big(hw, op);
  big.take(0, {1, 1, 8, 8});
  big.take(1, {1, 1, 8, 8});
  EXPECT_TRUE(big.admits(2, {8, 8}));      // (64 + 64) x 64 x 4 = 32 KiB
  EXPECT_FALSE(big.admits(2, {16, 8}));    // 64 KiB
}

TEST(GpuTileBudget, NearlyEverySampledGpuProgramFitsTheHardware) {
  for (const auto& [op, params] : std::vector<std::pair<std::string, std::string>>{
           {"conv2d", "n=1,c=64,h=56,w=56,o=64,kernel=3,pad=1"},
           {"conv2d", "n=1,c=256,h=14,w=14,o=256,kernel=3,pad=1"},
           {"dense", "m=128,k=768,n=768"},
           {"batch_matmul", "batch=12,m=128,n=128,k=64"}}) {
    SCOPED_TRACE(op + " " + params);
    ops::OpInstance inst = ops::build_op(op, ops::OpParams::parse(params));
    search::SearchTask task = testutil::gpu_task(inst.dag);
    std::vector<schedule::State> sketches = search::generate_sketches(task);
    search::FactorizationCache cache;
    std::mt19937_64 rng(1);
    constexpr int kSamples = 200;
    int fit = 0;
    for (int i = 0; i < kSamples; ++i) {
      try {
        // annotate_sketch lowers the program and checks every limit.
        search::annotate_sketch(task, {}, sketches[i % sketches.size()], cache, rng);
        ++fit;
      } catch (const Error&) {
      }
    }
    EXPECT_GE(fit, kSamples * 9 / 10) << fit << " of " << kSamples << " samples fit";
  }
}
