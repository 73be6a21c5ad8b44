#include "tuning/task_measurer.h"

#include <chrono>
#include <cmath>
#include <random>

#include "runtime/run_dag.h"
#include "runtime/timer.h"
#include "search/target.h"
#include "support/error.h"
#include "tuning/confirm_fastest.h"

namespace bcd::tuning {

namespace {
// Timings of a round's fastest in fresh workers (confirm_fastest.h); the rest are
// checks only. Usually one suffices; a few bound a round where several candidates
// are within the noise of each other.
constexpr int kMaxRetimes = 3;

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

MeasureOptions tuning_measure_options(double timeout_seconds, CacheState cache) {
  MeasureOptions o;
  o.runner.timeout_seconds = timeout_seconds;
  o.runner.repeat = 3;
  o.runner.min_repeat_ms = 20;
  if (cache != CacheState::Warm) {
    o.runner.number = 1;
    o.runner.repeat = cache == CacheState::Flushed ? 5 : 10;
    o.runner.min_repeat_ms = 0;
    o.runner.flush_cache = cache == CacheState::Flushed;
    o.runner.evict_activations = cache == CacheState::ColdActivations;
  }
  return o;
}

double candidate_time_budget(const runtime::RunnerOptions& runner, double best_cost, double slowdown_cutoff) {
  // Warm-up plus `repeat` repeats of at least `number` runs or min_repeat_ms.
  double per_repeat = std::max(runner.number * best_cost * slowdown_cutoff, runner.min_repeat_ms / 1e3);
  double budget = best_cost * slowdown_cutoff + runner.repeat * per_repeat + 1.0;
  // Where the last-level cache is large (or reported so) a flush writes 512 MiB:
  // without this a round's first candidate, whose worker also allocates the
  // buffer, timed out, and so did every candidate after it in a fresh worker.
  if (runner.flush_cache)
    budget += (runner.repeat + 1) * static_cast<double>(runtime::cpu_cache_flush_bytes()) / 1e9;
  return std::min(runner.timeout_seconds, budget);
}

TaskMeasurer::TaskMeasurer(const search::SearchTask& task, MeasureOptions options)
    : task_(task), options_(std::move(options)) {
  std::mt19937_64 rng(options_.input_seed);
  std::vector<const NDArray*> inputs;
  for (const auto& t : task_.dag.inputs()) {
    spec_.input_shapes.push_back(t->shape);
    spec_.inputs.emplace_back(t->shape);
    // Positive inputs keep divisions and logarithms in fused tasks well defined.
    spec_.inputs.back().fill_random(rng, 0.1f, 1.0f);
  }
  for (const auto& a : spec_.inputs) inputs.push_back(&a);
  for (const auto& t : task_.dag.outputs()) spec_.output_shapes.push_back(t->shape);
  spec_.weight_inputs = task_.dag.layout_free_inputs();
  if (options_.verify_best || options_.verify_all) spec_.expected = runtime::run_dag_default(task_.dag, inputs);
}

std::vector<runtime::MeasureResult> TaskMeasurer::measure(const std::vector<schedule::State>& states) {
  auto start = std::chrono::steady_clock::now();
  std::vector<runtime::BuildInput> inputs(states.size());
  std::vector<std::string> lower_errors(states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    try {
      inputs[i] = runtime::build_input(search::lower_for_target(states[i], "candidate", task_.target), task_.target.kind_name());
    } catch (const InternalError& e) {
      note_swallowed(e);  // a lowering bug: recorded as this candidate's error, the round goes on
      lower_errors[i] = e.what();
    } catch (const Error& e) {
      lower_errors[i] = e.what();
    }
  }
  stats_.lower_seconds += since(start);

  start = std::chrono::steady_clock::now();
  std::vector<runtime::BuildInput> to_build;
  for (size_t i = 0; i < states.size(); ++i)
    if (lower_errors[i].empty()) to_build.push_back(inputs[i]);
  std::vector<runtime::BuildResult> built = runtime::build_all(to_build, options_.builder);
  std::vector<runtime::BuildResult> builds(states.size());
  for (size_t i = 0, b = 0; i < states.size(); ++i) {
    if (lower_errors[i].empty()) {
      builds[i] = built[b++];
    } else {
      builds[i].error = runtime::MeasureError::Instantiation;
      builds[i].error_message = lower_errors[i];
    }
  }
  stats_.build_seconds += since(start);

  start = std::chrono::steady_clock::now();
  std::vector<bool> verify(states.size(), options_.verify_all);
  runtime::RunnerOptions runner = options_.runner;
  if (best_cost_ > 0) runner.timeout_seconds = candidate_time_budget(runner, best_cost_, options_.slowdown_cutoff);
  std::vector<runtime::MeasureResult> results = runtime::run_all(builds, spec_, verify, runner);
  if (options_.verify_all) stats_.verified += static_cast<int>(states.size());
  const bool check = options_.verify_best && !options_.verify_all;  // verify_all checked every one
  if (check || options_.retime_best) {
    // Only the round's fastest is worth the extra runs: it is the one that can
    // become the task's best program. It is checked and timed again in a fresh
    // worker (confirm_fastest.h); a wrong or slower one gives way to the next
    // fastest, which is confirmed in turn. The fresh worker runs the candidate
    // twice and keeps the second timing: a worker's first program measured ~5% slow.
    runtime::RunnerOptions once = runner;
    once.repeat = 1;
    once.min_repeat_ms = 0;
    Confirmation done = confirm_fastest(
        results,
        [&](size_t i, bool time_it) {
          if (!time_it) return check ? runtime::run_all({builds[i]}, spec_, {true}, once)[0] : results[i];
          return runtime::run_all({builds[i], builds[i]}, spec_, {false, check}, runner)[1];
        },
        options_.retime_best ? kMaxRetimes : 0);
    if (check) stats_.verified += done.measured;
    stats_.retimed += done.retimed;
  }
  for (const auto& r : results) {
    stats_.wrong += r.error == runtime::MeasureError::WrongAnswer;
    if (r.error == runtime::MeasureError::None && (best_cost_ == 0 || r.mean_cost() < best_cost_))
      best_cost_ = r.mean_cost();
  }
  stats_.run_seconds += since(start);
  return results;
}

}  // namespace bcd::tuning
