#include "costmodel/measured_programs.h"

#include <chrono>
#include <map>
#include <random>
#include <set>

#include "codegen/codegen_c.h"
#include "costmodel/features.h"
#include "lower/lower.h"
#include "ops/registry.h"
#include "runtime/module.h"
#include "runtime/timer.h"
#include "support/error.h"
#include "testing/random_states.h"

namespace bcd::testutil {

namespace {

constexpr int kProgramsPerModule = 50;  // one compiler run per 50 kernels
constexpr double kSlowSeconds = 2e-3;
constexpr double kMaxWorkRatio = 8;

// Store executions of a loop program: how much work it does, redundant work of
// badly placed compute_at stages included.
double store_executions(const lower::Stmt& s) {
  if (!s) return 0;
  if (s->kind == lower::StmtKind::Store) return 1;
  double n = 0;
  for (const auto& b : s->body) n += store_executions(b);
  return s->kind == lower::StmtKind::For ? n * static_cast<double>(s->extent) : n;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

MeasuredTask build(int count) {
  auto start = std::chrono::steady_clock::now();
  MeasuredTask task;
  ops::OpInstance inst = ops::build_op("dense", ops::OpParams::parse("m=64,k=128,n=64"));
  task.name = inst.dag.workload_key();
  task.flops = inst.dag.flop_count();

  std::mt19937_64 rng(20240611);
  std::set<std::string> seen;
  const double default_work = store_executions(lower::lower_default(inst.dag, "default").body);
  for (int attempt = 0; attempt < count * 4 && static_cast<int>(task.programs.size()) < count; ++attempt) {
    schedule::State s = random_state(inst.dag, rng);
    MeasuredProgram p;
    try {
      p.func = lower::lower_state(s, "cm_" + std::to_string(task.programs.size()));
      codegen::codegen_c({p.func});
    } catch (const Error&) {
      continue;  // not every random State can be lowered or printed; skip it
    }
    // Some random schedules recompute a producer thousands of times and run for
    // seconds; they teach the model nothing the slow-but-sane ones do not.
    if (store_executions(p.func.body) > kMaxWorkRatio * default_work) continue;
    if (!seen.insert(lower::to_string(p.func.body)).second) continue;
    p.features = costmodel::extract_features(p.func);
    task.programs.push_back(std::move(p));
  }

  std::vector<NDArray> buffers;
  std::vector<float*> args;
  for (const auto& t : inst.dag.inputs()) {
    buffers.emplace_back(t->shape);
    buffers.back().fill_random(rng);
  }
  for (const auto& t : inst.dag.outputs()) buffers.emplace_back(t->shape);
  for (auto& b : buffers) args.push_back(b.data());

  runtime::TimingOptions timing;
  timing.number = 1;
  timing.repeat = 3;
  timing.min_repeat_ms = 1;
  for (size_t first = 0; first < task.programs.size(); first += kProgramsPerModule) {
    size_t last = std::min(task.programs.size(), first + kProgramsPerModule);
    std::vector<lower::LoweredFunc> funcs;
    for (size_t k = first; k < last; ++k) funcs.push_back(task.programs[k].func);
    auto compile_start = std::chrono::steady_clock::now();
    runtime::Module module = runtime::Module::from_source(codegen::codegen_c(funcs));
    task.compile_seconds += seconds_since(compile_start);
    for (size_t k = first; k < last; ++k) {
      runtime::Kernel kernel = module.get(task.programs[k].func.name);
      MeasuredProgram& p = task.programs[k];
      // Random schedules include some that are thousands of times slower than
      // the rest; one run ranks those well enough and keeps the test short.
      auto probe_start = std::chrono::steady_clock::now();
      kernel.run(args);
      double probe = seconds_since(probe_start);
      p.seconds = probe > kSlowSeconds ? probe
                                       : runtime::median(runtime::time_function([&] { kernel.run(args); }, timing));
      p.throughput = task.flops / p.seconds;
    }
  }
  task.measure_seconds = seconds_since(start);
  return task;
}

}  // namespace

const MeasuredTask& measured_dense_task(int count) {
  static std::map<int, MeasuredTask> cache;
  auto it = cache.find(count);
  if (it == cache.end()) it = cache.emplace(count, build(count)).first;
  return it->second;
}

std::vector<costmodel::TrainingSample> samples_of(const MeasuredTask& task, size_t begin, size_t end) {
  std::vector<costmodel::TrainingSample> out;
  for (size_t k = begin; k < std::min(end, task.programs.size()); ++k)
    out.push_back({task.programs[k].features, task.name, task.programs[k].throughput});
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
