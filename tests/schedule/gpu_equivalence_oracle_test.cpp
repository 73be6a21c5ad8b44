// The GPU equivalence oracle, emulated on the CPU: GPU States from the GPU
// sketch, annotation and mutation rules are lowered, printed as C that runs the
// GPU loop program sequentially (codegen_c with emulate_gpu), run on random
// inputs and compared with each operator's naive reference. It also checks the
// structural facts that make the emulation sound and that the CUDA generator
// relies on:
//   - in one kernel, loops bound to the same block/thread dimension that are
//     nested inside each other have equal extents (one launch shape);
//   - what a thread stores into a shared buffer (indices and value) does not
//     depend on the thread- or vthread-bound loops around the buffer, so every
//     thread of a block fetches the same tile;
//   - barriers never sit under a condition (every thread must reach them);
//   - every kernel fits the hardware limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "codegen/codegen_c.h"
#include "ir/expr_functor.h"
#include "lower/lower.h"
#include "ops/nn.h"
#include "ops/op_configs.h"
#include "ops/reference.h"
#include "ops/registry.h"
#include "runtime/module.h"
#include "schedule/transform_step.h"
#include "search/gpu_limits.h"
#include "search/sketch_rules.h"
#include "testing/fused_ops.h"
#include "support/error.h"
#include "testing/gpu_states.h"

using namespace bcd;
using ir::Expr;
using lower::ForKind;
using lower::MemScope;
using lower::Stmt;
using lower::StmtKind;

namespace {

struct GpuCase {
  std::string op;
  std::string params;
  float low = -1.0f, high = 1.0f;
  int states = 0;
};

// Operators whose GPU space has tiling, shared memory or reductions get many
// States per configuration; elementwise and layout operators (binding only)
// get few, on their first configurations.
constexpr int kRichStates = 32;
constexpr int kPlainStates = 8;
constexpr int kPlainConfigsPerOp = 2;
constexpr int kFusedStates = 64;

bool rich(const std::string& op) {
  static const std::set<std::string> ops = {"conv2d",     "depthwise_conv2d",  "dense",   "batch_matmul",
                                            "max_pool2d", "avg_pool2d",        "softmax", "layer_norm", "reduce",
                                            "global_avg_pool2d"};
  return ops.count(op) > 0;
}

std::vector<GpuCase> cases() {
  std::vector<GpuCase> out;
  std::map<std::string, int> seen;
  for (const auto& c : ops::optest::op_configs()) {
    int n = seen[c.op]++;
    if (rich(c.op))
      out.push_back({c.op, c.params, c.low, c.high, kRichStates});
    else if (n < kPlainConfigsPerOp)
      out.push_back({c.op, c.params, c.low, c.high, kPlainStates});
  }
  // Fused subgraphs, with extents large enough for every tiling level.
  out.push_back({"conv2d_bias_relu", "NCHW", -1, 1, kFusedStates});
  out.push_back({"conv2d_bias_relu", "NHWC", -1, 1, kFusedStates});
  out.push_back({"dense_bias_relu", "", -1, 1, kFusedStates});
  return out;
}



ops::OpInstance build_case(const GpuCase& c) {
  if (c.op == "conv2d_bias_relu")
    return testutil::conv_bias_relu(c.params == "NHWC" ? ops::Layout::NHWC : ops::Layout::NCHW, 8, 12, 16);
  if (c.op == "dense_bias_relu") return testutil::dense_bias_relu(16, 32, 24);
  return ops::build_op(c.op, ops::OpParams::parse(c.params));
}

bool thread_or_vthread(ForKind k) {
  return k == ForKind::Vthread || k == ForKind::ThreadIdxX || k == ForKind::ThreadIdxY || k == ForKind::ThreadIdxZ;
}

// Appends a description of every broken structural fact under `s`.
void check_structure(const Stmt& s, std::vector<Expr>& bound_vars, bool under_if,
                     std::map<const ir::OpNode*, std::vector<Expr>>& shared_outer_vars,
                     std::vector<std::string>& problems) {
  if (!s) return;
  switch (s->kind) {
    case StmtKind::Sync:
      if (under_if) problems.push_back("a barrier under a condition");
      return;
    case StmtKind::Store: {
      auto it = shared_outer_vars.find(s->buffer.get());
      if (it == shared_outer_vars.end()) return;
      for (const auto& v : it->second) {
        bool uses = ir::uses_var(s->value, v);
        for (const auto& i : s->indices) uses = uses || ir::uses_var(i, v);
        if (uses) problems.push_back("the store into shared " + s->buffer->name + " depends on " + v->name);
      }
      return;
    }
    case StmtKind::Allocate:
      if (s->scope == MemScope::Shared) shared_outer_vars[s->buffer.get()] = bound_vars;
      check_structure(s->body[0], bound_vars, under_if, shared_outer_vars, problems);
      return;
    case StmtKind::For: {
      bool bound = thread_or_vthread(s->for_kind);
      if (bound) bound_vars.push_back(s->loop_var);
      check_structure(s->body[0], bound_vars, under_if, shared_outer_vars, problems);
      if (bound) bound_vars.pop_back();
      return;
    }
    case StmtKind::IfThenElse:
      for (const auto& b : s->body) check_structure(b, bound_vars, true, shared_outer_vars, problems);
      return;
    case StmtKind::Seq:
      for (const auto& b : s->body) check_structure(b, bound_vars, under_if, shared_outer_vars, problems);
      return;
  }
}

std::vector<std::string> structural_problems(const search::SearchTask& task, const lower::LoweredFunc& f) {
  std::vector<std::string> problems;
  std::string limit = search::gpu_limit_violation(task.hardware(), f);
  if (!limit.empty()) problems.push_back(limit);
  std::vector<Expr> bound;
  std::map<const ir::OpNode*, std::vector<Expr>> shared;
  check_structure(f.body, bound, false, shared, problems);
  return problems;
}

struct Stats {
  std::mutex mutex;
  std::map<std::string, int> states_with;  // step kinds and annotations
  int with_shared = 0, with_cross_thread = 0, with_vthread = 0;
};

struct CaseResult {
  int checked = 0;
  int distinct = 0;
  std::vector<std::string> failures;
};

CaseResult check_case(const GpuCase& c, uint64_t seed, Stats& stats) {
  CaseResult r;
  ops::OpInstance inst = build_case(c);
  search::SearchTask task = testutil::gpu_task(inst.dag);
  std::vector<schedule::State> sketches = search::generate_sketches(task);
  search::FactorizationCache cache;
  std::mt19937_64 rng(seed);
  std::vector<NDArray> inputs;
  std::vector<const NDArray*> input_ptrs;
  for (size_t i = 0; i < inst.dag.inputs().size(); ++i) {
    inputs.emplace_back(inst.dag.inputs()[i]->shape);
    auto [low, high] = i < inst.input_ranges.size() ? inst.input_ranges[i] : std::pair{c.low, c.high};
    inputs.back().fill_random(rng, low, high);
  }
  for (auto& a : inputs) input_ptrs.push_back(&a);
  std::vector<NDArray> expected = inst.reference(input_ptrs);
  std::string label = c.op + " (" + c.params + ")";

  std::vector<lower::LoweredFunc> funcs;
  std::vector<std::string> histories;
  std::set<std::string> distinct;
  for (int k = 0; k < c.states; ++k) {
    std::optional<schedule::State> sampled;
    try {
      sampled = testutil::sample_gpu_state(task, sketches, cache, rng);
    } catch (const Error& e) {
      r.failures.push_back(label + ": no GPU state could be sampled: " + e.what());
      return r;
    }
    const schedule::State& s = *sampled;
    distinct.insert(s.canonical_string());
    std::string history = schedule::history_to_json(s.history()).dump();
    {
      std::lock_guard<std::mutex> lock(stats.mutex);
      std::set<std::string> kinds;
      bool shared = false, cross = false, vthread = false;
      for (const auto& st : s.stages()) {
        shared = shared || st.scope == "shared";
        for (const auto& it : st.iters) {
          cross = cross || (it.kind == schedule::IterKind::Reduce && it.annotation == schedule::IterAnnotation::ThreadIdxX);
          vthread = vthread || it.annotation == schedule::IterAnnotation::VThread;
        }
      }
      for (const auto& step : s.history()) {
        kinds.insert(schedule::step_kind_name(step.kind));
        if (step.kind == schedule::StepKind::Annotation) kinds.insert(schedule::annotation_name(step.annotation));
      }
      for (const auto& kind : kinds) ++stats.states_with[kind];
      stats.with_shared += shared;
      stats.with_cross_thread += cross;
      stats.with_vthread += vthread;
    }
    try {
      lower::LoweredFunc f = lower::lower_state(s, "gpu_oracle_" + std::to_string(k));
      for (const auto& p : structural_problems(task, f))
        r.failures.push_back(label + ": " + p + "\n  steps " + history + "\n" + lower::to_string(f));
      codegen::codegen_c({f}, {.emulate_gpu = true});
      funcs.push_back(f);
      histories.push_back(history);
    } catch (const Error& e) {
      r.failures.push_back(label + ": lowering or emulated code generation failed: " + e.what() + "\n  steps " + history);
    }
  }
  r.distinct = static_cast<int>(distinct.size());
  if (funcs.empty()) return r;
  runtime::Module module = runtime::Module::from_source(codegen::codegen_c(funcs, {.emulate_gpu = true}));
  for (size_t f = 0; f < funcs.size(); ++f) {
    std::vector<NDArray> outputs;
    std::vector<float*> args;
    for (auto& a : inputs) args.push_back(a.data());
    for (const auto& t : inst.dag.outputs()) outputs.emplace_back(t->shape);
    for (auto& o : outputs) {
      o.fill(12345.0f);  // a stale value must not pass for a computed one
      args.push_back(o.data());
    }
    module.get(funcs[f].name).run(args);
    ++r.checked;
    for (size_t o = 0; o < outputs.size(); ++o)
      if (!arrays_close(outputs[o], expected[o], 1e-4, 1e-4)) {
        ArrayDiff d = compare_arrays(outputs[o], expected[o]);
        r.failures.push_back(label + ": max abs error " + std::to_string(d.max_abs) + "\n  steps " + histories[f] +
                             "\n" + lower::to_string(funcs[f]));
        break;
      }
  }
  return r;
}

}  // namespace

// The cases in kShards interleaved shards, one test each, so that `ctest -j`
// spreads the oracle over the cores and no single test runs long.
constexpr size_t kShards = 4;

class GpuEquivalenceOracleShard : public ::testing::TestWithParam<size_t> {};

TEST_P(GpuEquivalenceOracleShard, EmulatedGpuStatesMatchTheReference) {
  const std::vector<GpuCase> all = cases();
  Stats stats;
  int total = 0, wanted = 0, failed = 0;
  std::map<std::string, std::pair<int, int>> per_op;  // states checked, mismatches
  for (size_t j = GetParam(); j < all.size(); j += kShards) {
    const CaseResult r = check_case(all[j], 7000 + j, stats);
    total += r.checked;
    wanted += all[j].states;
    failed += static_cast<int>(r.failures.size());
    per_op[all[j].op].first += r.checked;
    per_op[all[j].op].second += static_cast<int>(r.failures.size());
    for (size_t f = 0; f < std::min<size_t>(r.failures.size(), 2); ++f) ADD_FAILURE() << r.failures[f];
    if (std::getenv("BCD_ORACLE_VERBOSE"))
      std::printf("gpu oracle: %-18s %-60s %3d checked (%d distinct), %zu problems\n", all[j].op.c_str(),
                  all[j].params.c_str(), r.checked, r.distinct, r.failures.size());
  }
  for (const auto& [op, n] : per_op)
    std::printf("gpu oracle: %-18s %4d states checked, %d problems\n", op.c_str(), n.first, n.second);
  std::printf("gpu oracle: states using each step kind:");
  for (const auto& [kind, n] : stats.states_with) std::printf(" %s %d", kind.c_str(), n);
  std::printf("\ngpu oracle: %d states with shared memory, %d with cross-thread reductions, %d with vthreads\n",
              stats.with_shared, stats.with_cross_thread, stats.with_vthread);
  std::printf("gpu oracle: %d emulated GPU states checked, %d problems\n", total, failed);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(total, wanted);
  // Every shard holds convolutions and reductions, so each must meet the GPU
  // features that are hardest to emulate.
  EXPECT_GT(stats.with_shared, 0);
  EXPECT_GT(stats.with_cross_thread, 0);
  EXPECT_GT(stats.with_vthread, 0);
}

INSTANTIATE_TEST_SUITE_P(Shards, GpuEquivalenceOracleShard, ::testing::Range<size_t>(0, kShards));
