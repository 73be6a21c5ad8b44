// The parallel builder. The runner (run_all) is in measure_runner.cpp, the error
// kinds' names in measure_error.cpp.
#include "runtime/measure.h"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "codegen/codegen.h"
#include "runtime/compiler.h"
#include "runtime/cuda_compiler.h"
#include "runtime/cuda_driver.h"
#include "support/error.h"

namespace bcd::runtime {

BuildInput build_input(const lower::Program& program, const std::string& target) {
  BuildInput in;
  in.kernel_name = program.kernel.name;
  in.target = target;
  in.source = codegen::codegen_for_target(target, program.funcs());
  if (target == "llvm") in.scratch = codegen::plan_scratch(program.kernel).need;
  for (size_t i = 0; i < program.packs.size(); ++i)
    in.packs.push_back({program.packed_inputs[i], program.packs[i].name});
  return in;
}

// ---- builder ---------------------------------------------------------------------
//
// A C compile runs in a child process that compile_shared_object kills at the
// deadline. An NVRTC compile runs in this process and cannot be interrupted, so a
// hung one is handled by abandoning its thread: the task is marked Timeout, a
// replacement thread keeps the pool at `jobs`, and the stuck thread is detached at
// the end. Everything the threads touch lives in a shared State, so an abandoned
// thread that finishes after build_all returned still writes into live memory (and
// its late result is dropped).

namespace {

using Clock = std::chrono::steady_clock;

struct BuildState {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<BuildInput> inputs;  // a copy: abandoned threads may outlive the caller's
  double timeout_seconds = 0;
  std::vector<BuildResult> results;
  std::vector<char> finished;
  std::vector<Clock::time_point> started;
  std::vector<char> taken;
  size_t next = 0;
  size_t remaining = 0;
  std::vector<long> thread_task;     // task a thread is on, -1 when idle
  std::vector<char> thread_exited;
  std::exception_ptr no_space;       // the first NoSpace of any compile
};

BuildResult build_one(const BuildInput& input, double timeout_seconds) {
  BuildResult r;
  r.kernel_name = input.kernel_name;
  r.target = input.target;
  r.packs = input.packs;
  auto start = Clock::now();
  try {
    if (input.target == "cuda") {
      r.cuda_program = parse_cuda_program(input.source, input.kernel_name);
      r.library_path = compile_cuda(input.source, cuda_build_arch());
    } else {
      r.library_path = input.object_file ? compile_object(input.source, timeout_seconds)
                                         : compile_shared_object(input.source, timeout_seconds);
    }
  } catch (const CompileTimeout& e) {
    r.error = MeasureError::Timeout;
    r.error_message = e.what();
  } catch (const NoSpace&) {
    throw;  // the disk's fault, not the candidate's: build_all ends with it
  } catch (const std::exception& e) {
    r.error = MeasureError::Compile;
    r.error_message = e.what();
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

void build_thread(std::shared_ptr<BuildState> s, size_t self) {
  std::unique_lock lock(s->mutex);
  while (s->next < s->inputs.size()) {
    size_t i = s->next++;
    s->taken[i] = 1;
    s->started[i] = Clock::now();
    s->thread_task[self] = static_cast<long>(i);
    s->changed.notify_all();  // a new deadline to watch
    lock.unlock();
    BuildResult r;
    std::exception_ptr no_space;
    try {
      r = build_one(s->inputs[i], s->timeout_seconds);
    } catch (const NoSpace& e) {
      r.error = MeasureError::Unknown;
      r.error_message = e.what();
      no_space = std::current_exception();
    }
    lock.lock();
    if (no_space && !s->no_space) s->no_space = no_space;
    s->thread_task[self] = -1;
    if (s->finished[i]) break;  // timed out meanwhile: a replacement took our place
    s->results[i] = std::move(r);
    s->finished[i] = 1;
    --s->remaining;
    s->changed.notify_all();
  }
  s->thread_exited[self] = 1;
}

}  // namespace

std::vector<BuildResult> build_all(const std::vector<BuildInput>& inputs, const BuilderOptions& options) {
  if (inputs.empty()) return {};
  if (options.jobs < 0) fail("invalid number of build jobs {}", options.jobs);
  if (!(options.timeout_seconds > 0)) fail("invalid build timeout {} s", options.timeout_seconds);
  for (const BuildInput& input : inputs)
    if (input.target != "llvm" && input.target != "cuda")
      fail("unknown build target '{}' (llvm or cuda)", input.target);
  size_t jobs = options.jobs > 0 ? static_cast<size_t>(options.jobs)
                                 : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min(jobs, inputs.size());

  auto s = std::make_shared<BuildState>();
  s->inputs = inputs;
  s->timeout_seconds = options.timeout_seconds;
  size_t n = inputs.size();
  s->results.resize(n);
  s->finished.assign(n, 0);
  s->started.resize(n);
  s->taken.assign(n, 0);
  s->remaining = n;

  std::vector<std::thread> threads;
  std::unique_lock lock(s->mutex);
  auto spawn = [&] {
    s->thread_task.push_back(-1);
    s->thread_exited.push_back(0);
    threads.emplace_back(build_thread, s, threads.size());
  };
  for (size_t j = 0; j < jobs; ++j) spawn();

  // Only running NVRTC compiles need the watchdog: a C compile kills itself.
  auto watched = [&](size_t i) { return s->taken[i] && !s->finished[i] && inputs[i].target == "cuda"; };
  auto budget = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.timeout_seconds));
  while (s->remaining > 0) {
    Clock::time_point wake = Clock::now() + std::chrono::seconds(1);
    for (size_t i = 0; i < n; ++i)
      if (watched(i)) wake = std::min(wake, s->started[i] + budget);
    s->changed.wait_until(lock, wake);
    Clock::time_point now = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      if (!watched(i) || now < s->started[i] + budget) continue;
      BuildResult& r = s->results[i];
      r.kernel_name = inputs[i].kernel_name;
      r.target = inputs[i].target;
      r.packs = inputs[i].packs;
      r.error = MeasureError::Timeout;
      r.error_message = fmt::format("compilation did not finish within {} s", options.timeout_seconds);
      r.seconds = options.timeout_seconds;
      s->finished[i] = 1;
      --s->remaining;
      if (s->next < n) spawn();  // keep `jobs` compiles going past the stuck one
    }
  }
  std::vector<BuildResult> results = s->results;
  std::exception_ptr no_space = s->no_space;
  // Every task is finished, so a thread is either past its last task (join: it
  // exits at once) or still inside a timed-out compile (detach).
  std::vector<char> stuck(threads.size());
  for (size_t t = 0; t < threads.size(); ++t)
    stuck[t] = !s->thread_exited[t] && s->thread_task[t] >= 0;
  lock.unlock();
  for (size_t t = 0; t < threads.size(); ++t) {
    if (stuck[t])
      threads[t].detach();
    else
      threads[t].join();
  }
  if (no_space) std::rethrow_exception(no_space);
  return results;
}

}  // namespace bcd::runtime
