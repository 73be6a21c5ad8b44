// GPU annotation and mutation rules: thread binding, cooperative fetching,
// unroll depths, the lowering of shared stages, and the hardware limits every
// sampled or mutated State respects.
#include <gtest/gtest.h>

#include <set>

#include "costmodel/cost_model.h"
#include "lower/lower.h"
#include "ops/nn.h"
#include "ops/registry.h"
#include "schedule/transform_step.h"
#include "search/annotation_rules.h"
#include "search/annotation_rules_gpu.h"
#include "search/gpu_limits.h"
#include "search/mutation_rules.h"
#include "search/search_policy.h"
#include "search/sketch_rules.h"
#include "search/sketch_rules_gpu.h"
#include "support/error.h"
#include "testing/gpu_states.h"

using namespace bcd;
using namespace bcd::search;
using lower::MemScope;
using lower::Stmt;
using lower::StmtKind;
using schedule::IterAnnotation;
using schedule::State;

namespace {

ir::ComputeDAG conv_relu_dag(int64_t c, int64_t hw, int64_t o) {
  ir::Tensor data = ir::placeholder({1, c, hw, hw}, "data");
  ir::Tensor weight = ir::placeholder({o, c, 3, 3}, "weight");
  ops::Conv2DAttrs attrs;
  attrs.padding = {1, 1, 1, 1};
  return ir::ComputeDAG({data, weight}, {ops::relu(ops::conv2d(data, weight, attrs))});
}

ir::ComputeDAG op_dag(const std::string& op, const std::string& params) {
  return ops::build_op(op, ops::OpParams::parse(params)).dag;
}

int stage_named(const State& s, const std::string& name) {
  for (int i = 0; i < s.num_stages(); ++i)
    if (s.stage(i).op->name == name) return i;
  return -1;
}

int64_t extent_bound_to(const schedule::Stage& st, IterAnnotation a) {
  for (const auto& it : st.iters)
    if (it.annotation == a) return it.extent;
  return 0;
}

// Every root stage is bound to blocks, and every shared stage's fetch uses
// exactly the threads of the block it feeds.
void expect_bound(const State& s) {
  for (int i = 0; i < s.num_stages(); ++i) {
    const auto& st = s.stage(i);
    if (st.kind == schedule::StageKind::Placeholder || st.compute_at == schedule::ComputeAtKind::Inlined) continue;
    if (st.compute_at == schedule::ComputeAtKind::Root) {
      EXPECT_GT(extent_bound_to(st, IterAnnotation::BlockIdxX), 0) << st.op->name;
      for (const auto& it : st.iters) EXPECT_NE(it.annotation, IterAnnotation::Parallel);
    }
    if (st.scope == "shared") {
      const auto& tiled = s.stage(st.attach_stage);
      const auto& root = s.stage(tiled.attach_stage);
      EXPECT_EQ(extent_bound_to(st, IterAnnotation::ThreadIdxX), extent_bound_to(root, IterAnnotation::ThreadIdxX));
    }
  }
}

bool contains(const Stmt& s, StmtKind kind) {
  if (!s) return false;
  if (s->kind == kind) return true;
  for (const auto& b : s->body)
    if (contains(b, kind)) return true;
  return false;
}

// Shapes of the shared buffers and the statement sequence around them.
void find_shared(const Stmt& s, std::vector<std::vector<int64_t>>& shapes, std::vector<Stmt>& seqs) {
  if (!s) return;
  if (s->kind == StmtKind::Allocate && s->scope == MemScope::Shared) shapes.push_back(s->alloc_shape);
  if (s->kind == StmtKind::Seq && !s->body.empty() && s->body[0]->kind == StmtKind::Sync) seqs.push_back(s);
  for (const auto& b : s->body) find_shared(b, shapes, seqs);
}

}  // namespace

TEST(GpuHardware, DefaultsAreAnH100LikeGpuAndOnlyCudaIsAGpuTarget) {
  HardwareParams hw = default_gpu_hardware();
  EXPECT_EQ(hw.max_threads_per_block, 1024);
  EXPECT_EQ(hw.max_shared_memory_per_block, 48 * 1024);
  EXPECT_EQ(hw.max_local_memory_per_block, 65536);
  EXPECT_EQ(hw.warp_size, 32);
  EXPECT_EQ(hw.num_sms, 132);
  EXPECT_EQ(hw.max_vthread_extent, 8);
  EXPECT_TRUE(Target::gpu().is_gpu());
  EXPECT_FALSE(Target::cpu().is_gpu());
  EXPECT_FALSE(SearchTask(op_dag("relu", "shape=4")).is_gpu());
  EXPECT_EQ(SearchOptions{}.gpu_auto_unroll_configs, (std::vector<int>{0, 16, 64, 512, 1024}));
}

TEST(GpuAnnotation, ThreadsForAStagePreferTheLargestWarpMultipleDividingTheExtent) {
  HardwareParams hw = default_gpu_hardware();
  EXPECT_EQ(threads_for_extent(hw, 96), 96);
  EXPECT_EQ(threads_for_extent(hw, 4096), 1024);
  EXPECT_EQ(threads_for_extent(hw, 3136), 448);  // 56 x 56
  EXPECT_EQ(threads_for_extent(hw, 1000), 1000);  // no warp multiple divides it
  EXPECT_EQ(threads_for_extent(hw, 2 * 1031), 2);
  EXPECT_EQ(threads_for_extent(hw, 1), 1);
}

TEST(GpuAnnotation, DenseTilesBindToBlocksVthreadsAndThreadsAndSharedTilesCoverTheBlock) {
  SearchTask task = testutil::gpu_task(op_dag("dense", "m=16,k=32,n=24"));
  auto sketches = generate_sketches(task);
  ASSERT_EQ(sketches.size(), 1u);
  // Fill the tiles by hand: m = 2 blocks x 2 vthreads x 4 threads x 1 x 1,
  // n = 3 x 1 x 4 x 2 x 1, k = 4 outer x 2 x 4.
  std::vector<schedule::Step> steps = sketches[0].history();
  for (auto& st : steps) {
    if (st.kind != schedule::StepKind::Split) continue;
    if (st.extent == 16) st.lengths = {2, 4, 1, 1};
    if (st.extent == 24) st.lengths = {1, 4, 2, 1};
    if (st.extent == 32) st.lengths = {2, 4};
  }
  State s = schedule::replay(task.dag, steps);
  bind_gpu_threads(task, s);
  const auto& out = s.stage(stage_named(s, "dense"));
  EXPECT_EQ(extent_bound_to(out, IterAnnotation::BlockIdxX), 2 * 3);
  EXPECT_EQ(extent_bound_to(out, IterAnnotation::VThread), 2 * 1);
  EXPECT_EQ(extent_bound_to(out, IterAnnotation::ThreadIdxX), 4 * 4);
  expect_bound(s);

  lower::LoweredFunc f = lower::lower_state(s, "dense_gpu");
  std::vector<std::vector<int64_t>> shapes;
  std::vector<Stmt> seqs;
  find_shared(f.body, shapes, seqs);
  // Per block and outer reduction step: 8 rows (m) or 8 columns (n) x 8 of k,
  // whatever the thread: the region is relaxed over vthreads and threads.
  ASSERT_EQ(shapes.size(), 2u);
  EXPECT_EQ(shapes[0], (std::vector<int64_t>{8, 8}));
  EXPECT_EQ(shapes[1], (std::vector<int64_t>{8, 8}));
  // Sync; fetch data; fetch weight; Sync; compute.
  ASSERT_EQ(seqs.size(), 1u);
  ASSERT_EQ(seqs[0]->body.size(), 5u);
  EXPECT_EQ(seqs[0]->body[3]->kind, StmtKind::Sync);
  EXPECT_FALSE(contains(seqs[0]->body[4], StmtKind::Sync));
  std::vector<GpuKernelUsage> usage = gpu_kernel_usage(f);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].threads_per_block, 16);
  EXPECT_EQ(usage[0].vthreads, 2);
  EXPECT_EQ(usage[0].shared_bytes, 2 * 8 * 8 * 4);
  EXPECT_EQ(gpu_limit_violation(task.hardware(), f), "");
  task.target.hardware.max_shared_memory_per_block = 256;
  EXPECT_NE(gpu_limit_violation(task.hardware(), f).find("shared memory"), std::string::npos);
}

TEST(GpuAnnotation, SampledAndMutatedStatesRespectTheHardwareLimits) {
  struct Case {
    ir::ComputeDAG dag;
    HardwareParams hw;
  };
  HardwareParams small = default_gpu_hardware();
  small.max_threads_per_block = 64;
  small.max_shared_memory_per_block = 4096;
  small.max_vthread_extent = 2;
  small.max_local_memory_per_block = 4096;
  std::vector<Case> cases = {
      {conv_relu_dag(64, 56, 64), default_gpu_hardware()},
      {op_dag("dense", "m=128,k=768,n=3072"), default_gpu_hardware()},
      {op_dag("softmax", "shape=64x1000"), default_gpu_hardware()},
      {conv_relu_dag(32, 28, 32), small},
      {op_dag("batch_matmul", "batch=4,m=64,n=64,k=64"), small},
  };
  SearchOptions options;
  std::mt19937_64 rng(11);
  for (auto& c : cases) {
    SearchTask task{c.dag, Target::gpu(c.hw)};
    SCOPED_TRACE(task.description());
    auto sketches = generate_sketches(task);
    FactorizationCache cache;
    int sampled = 0, rejected = 0, mutated = 0;
    std::set<std::string> unroll;
    for (int attempt = 0; attempt < 400 && sampled < 40; ++attempt) {
      State s(task.dag);
      try {
        s = annotate_sketch(task, options, sketches[attempt % sketches.size()], cache, rng);
      } catch (const Error&) {
        ++rejected;
        continue;
      }
      ++sampled;
      for (const auto& st : s.stages())
        if (st.auto_unroll_max_step) unroll.insert(std::to_string(st.auto_unroll_max_step));
      EXPECT_EQ(gpu_limit_violation(task.hardware(), lower::lower_state(s, "f")), "");
      expect_bound(s);
      for (int m = 0; m < 5; ++m) {
        auto child = mutate(task, options, s, rng);
        if (!child) continue;
        ++mutated;
        EXPECT_EQ(gpu_limit_violation(task.hardware(), lower::lower_state(*child, "f")), "");
        // Only tile sizes and unroll depths change: the same steps otherwise.
        ASSERT_EQ(child->history().size(), s.history().size());
        for (size_t k = 0; k < s.history().size(); ++k) EXPECT_EQ(child->history()[k].kind, s.history()[k].kind);
        s = *child;
      }
    }
    EXPECT_GE(sampled, 10);
    EXPECT_GT(mutated, 10);
    std::printf("%s: %d sampled, %d rejected, %d mutated\n", task.description().c_str(), sampled, rejected, mutated);
    if (c.hw.max_threads_per_block == 64) {
      // The limits bite: drawn for the default hardware, some programs of this DAG
      // break them (tile sizes are drawn within them, search/gpu_tile_budget.h).
      SearchTask roomy{c.dag, Target::gpu()};
      int breaking = 0;
      for (int k = 0; k < 40; ++k) {
        try {
          State big = annotate_sketch(roomy, options, sketches[k % sketches.size()], cache, rng);
          if (!gpu_limit_violation(c.hw, lower::lower_state(big, "f")).empty()) ++breaking;
        } catch (const Error&) {
        }
      }
      EXPECT_GT(breaking, 0);
    }
  }
}

TEST(GpuAnnotation, TheSearchPolicyProposesDistinctGpuStatesWithinTheLimits) {
  SearchTask task = testutil::gpu_task(conv_relu_dag(16, 14, 32));
  SearchOptions options;
  options.population = 64;
  options.num_iterations = 2;
  SearchPolicy policy(task, costmodel::make_cost_model("random", 1), options, 5);
  std::vector<State> proposed = policy.propose(16);
  EXPECT_EQ(proposed.size(), 16u);
  std::set<std::string> distinct;
  for (const auto& s : proposed) {
    distinct.insert(s.canonical_string());
    EXPECT_EQ(gpu_limit_violation(task.hardware(), lower::lower_state(s, "f")), "");
    expect_bound(s);
  }
  EXPECT_EQ(distinct.size(), proposed.size());
}
