#include "costmodel/program_sets.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "codegen/codegen_c.h"
#include "costmodel/features.h"
#include "ir/expr_functor.h"
#include "lower/lower.h"
#include "ops/registry.h"
#include "runtime/module.h"
#include "runtime/timer.h"
#include "support/error.h"
#include "testing/random_states.h"

namespace bcd::testutil {

namespace {

constexpr double kSlowSeconds = 2e-3;
constexpr double kMaxWorkRatio = 8;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Store executions of a loop program: how much work it does, redundant work of
// badly placed compute_at stages included.
double store_executions(const lower::Stmt& s) {
  if (!s) return 0;
  if (s->kind == lower::StmtKind::Store) return 1;
  double n = 0;
  for (const auto& b : s->body) n += store_executions(b);
  return s->kind == lower::StmtKind::For ? n * static_cast<double>(s->extent) : n;
}

// Distinct, lowerable, printable programs of random States, featurized.
ProgramSet generate(const std::string& op, const std::string& params, int count, uint64_t seed) {
  ProgramSet set;
  ops::OpInstance inst = ops::build_op(op, ops::OpParams::parse(params));
  set.task = inst.dag.workload_key();
  set.flops = inst.dag.flop_count();
  std::mt19937_64 rng(seed);
  std::set<std::string> seen;
  const double default_work = store_executions(lower::lower_default(inst.dag, "default").body);
  for (int attempt = 0; attempt < count * 4 && static_cast<int>(set.programs.size()) < count; ++attempt) {
    schedule::State s = random_state(inst.dag, rng);
    LabelledProgram p;
    try {
      p.func = lower::lower_state(s, "cm_" + std::to_string(set.programs.size()));
      codegen::codegen_c({p.func});
    } catch (const Error&) {
      continue;  // not every random State can be lowered or printed; skip it
    }
    // Some random schedules recompute a producer thousands of times and run for
    // seconds; they teach the model nothing the slow-but-sane ones do not.
    if (store_executions(p.func.body) > kMaxWorkRatio * default_work) continue;
    if (!seen.insert(lower::to_string(p.func.body)).second) continue;
    p.features = costmodel::extract_features(p.func);
    set.programs.push_back(std::move(p));
  }
  return set;
}

void measure(ProgramSet& set, const ops::OpInstance& inst) {
  auto start = std::chrono::steady_clock::now();
  std::mt19937_64 rng(1);
  std::vector<NDArray> buffers;
  std::vector<float*> args;
  for (const auto& t : inst.dag.inputs()) {
    buffers.emplace_back(t->shape);
    buffers.back().fill_random(rng);
  }
  for (const auto& t : inst.dag.outputs()) buffers.emplace_back(t->shape);
  for (auto& b : buffers) args.push_back(b.data());

  // One small module per program, compiled on two threads: each kernel is
  // cached on its own, so a rerun compiles nothing.
  std::vector<runtime::Module> modules(set.programs.size());
  std::atomic<size_t> next{0};
  auto compile = [&] {
    for (size_t k; (k = next++) < set.programs.size();)
      modules[k] = runtime::Module::from_source(codegen::codegen_c({set.programs[k].func}));
  };
  std::thread helper(compile);
  compile();
  helper.join();
  set.compile_seconds = seconds_since(start);

  runtime::TimingOptions timing;
  timing.number = 1;
  timing.repeat = 3;
  timing.min_repeat_ms = 1;
  for (size_t k = 0; k < set.programs.size(); ++k) {
    LabelledProgram& p = set.programs[k];
    runtime::Kernel kernel = modules[k].get(p.func.name);
    // Random schedules include some that are hundreds of times slower than the
    // rest; one run ranks those well enough and keeps the test short.
    auto probe_start = std::chrono::steady_clock::now();
    kernel.run(args);
    double probe = seconds_since(probe_start);
    p.seconds = probe > kSlowSeconds ? probe
                                     : runtime::median(runtime::time_function([&] { kernel.run(args); }, timing));
    p.throughput = set.flops / p.seconds;
  }
  set.measure_seconds = seconds_since(start);
}

struct SyntheticCost {
  std::vector<const lower::StmtNode*> loops;
  double total = 0;

  // Does the innermost loop move this access only along a non-last dimension?
  bool strided(const std::vector<ir::Expr>& indices) const {
    if (loops.empty() || indices.empty()) return false;
    const ir::Expr& v = loops.back()->loop_var;
    if (ir::uses_var(indices.back(), v)) return false;
    for (const auto& i : indices)
      if (ir::uses_var(i, v)) return true;
    return false;
  }

  void visit(const lower::Stmt& s) {
    if (!s) return;
    if (s->kind == lower::StmtKind::For) {
      loops.push_back(s.get());
      visit(s->body[0]);
      loops.pop_back();
      return;
    }
    if (s->kind != lower::StmtKind::Store) {
      for (const auto& b : s->body) visit(b);
      return;
    }
    double executions = 1, parallel = 1;
    for (const auto* l : loops) {
      executions *= static_cast<double>(l->extent);
      if (l->for_kind == lower::ForKind::Parallel) parallel *= static_cast<double>(l->extent);
    }
    double cost = 1 + (strided(s->indices) ? 4 : 0);
    ir::visit(s->value, [&](const ir::Expr& e) {
      if (e->kind == ir::ExprKind::Load) cost += 1 + (strided(e->operands) ? 4 : 0);
      return true;
    });
    if (!loops.empty() && loops.back()->for_kind == lower::ForKind::Vectorized)
      cost /= std::min<double>(static_cast<double>(loops.back()->extent), 8);
    total += executions * cost / std::min(parallel, 8.0);
  }
};

}  // namespace

double synthetic_seconds(const lower::LoweredFunc& func) {
  SyntheticCost c;
  c.visit(func.body);
  return c.total * 1e-9;
}

ProgramSet synthetic_program_set(const std::string& op, const std::string& params, int count, uint64_t seed) {
  ProgramSet set = generate(op, params, count, seed);
  for (auto& p : set.programs) {
    p.seconds = synthetic_seconds(p.func);
    p.throughput = set.flops / p.seconds;
  }
  return set;
}

const ProgramSet& measured_dense_set(int count) {
  static std::map<int, ProgramSet> cache;
  auto it = cache.find(count);
  if (it == cache.end()) {
    const std::string params = "m=64,k=128,n=64";
    ProgramSet set = generate("dense", params, count, 20240611);
    measure(set, ops::build_op("dense", ops::OpParams::parse(params)));
    it = cache.emplace(count, std::move(set)).first;
  }
  return it->second;
}

std::vector<costmodel::TrainingSample> samples_of(const ProgramSet& set, size_t begin, size_t end) {
  std::vector<costmodel::TrainingSample> out;
  for (size_t k = begin; k < std::min(end, set.programs.size()); ++k)
    out.push_back({set.programs[k].features, set.task, set.programs[k].throughput});
  return out;
}

double pairwise_accuracy(const std::vector<double>& scores, const std::vector<double>& truth) {
  size_t agree = 0, pairs = 0;
  for (size_t i = 0; i < truth.size(); ++i)
    for (size_t j = i + 1; j < truth.size(); ++j) {
      if (truth[i] == truth[j]) continue;
      ++pairs;
      if ((scores[i] > scores[j]) == (truth[i] > truth[j]) && scores[i] != scores[j]) ++agree;
    }
  return pairs ? static_cast<double>(agree) / static_cast<double>(pairs) : 0.0;
}

}  // namespace bcd::testutil
