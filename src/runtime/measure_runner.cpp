// run_all: the parent side of isolated measurement. One bcd-worker serves a whole
// call (a round of 64 candidates pays one process start, not 64); a timeout kills
// it, a crash ends it, and either way a fresh worker takes the next candidate.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "runtime/cuda_driver.h"
#include "runtime/measure.h"
#include "runtime/worker_process.h"
#include "runtime/worker_protocol.h"
#include "support/error.h"

namespace bcd::runtime {

namespace {

using Clock = std::chrono::steady_clock;

// Loading the data and the dynamic loader's work are not the kernel's time; a
// generous bound still catches a worker that cannot start at all.
constexpr double kStartupSeconds = 60;

void check_spec(const RunSpec& spec, bool any_verify) {
  if (spec.inputs.size() != spec.input_shapes.size())
    fail("run spec has {} input arrays for {} input shapes", spec.inputs.size(), spec.input_shapes.size());
  for (size_t i = 0; i < spec.inputs.size(); ++i)
    if (spec.inputs[i].shape() != spec.input_shapes[i])
      fail("run spec input {} has shape {}, expected {}", i, shape_string(spec.inputs[i].shape()),
           shape_string(spec.input_shapes[i]));
  for (const auto& shape : spec.output_shapes)
    for (int64_t d : shape)
      if (d <= 0) fail("run spec has an invalid output shape {}", shape_string(shape));
  if (!spec.expected.empty()) {
    if (spec.expected.size() != spec.output_shapes.size())
      fail("run spec has {} expected arrays for {} outputs", spec.expected.size(), spec.output_shapes.size());
    for (size_t i = 0; i < spec.expected.size(); ++i)
      if (spec.expected[i].shape() != spec.output_shapes[i])
        fail("run spec expected output {} has shape {}, expected {}", i,
             shape_string(spec.expected[i].shape()), shape_string(spec.output_shapes[i]));
  } else if (any_verify) {
    fail("verification requested but the run spec has no expected outputs");
  }
  for (int w : spec.weight_inputs)
    if (w < 0 || w >= static_cast<int>(spec.inputs.size()))
      fail("run spec names input {} a weight, but has {} inputs", w, spec.inputs.size());
}

void check_options(const RunnerOptions& o) {
  if (o.number < 1 || o.repeat < 1 || !(o.min_repeat_ms >= 0) || !(o.timeout_seconds > 0))
    fail("invalid runner options: number {}, repeat {}, min_repeat_ms {}, timeout {} s", o.number,
         o.repeat, o.min_repeat_ms, o.timeout_seconds);
}

// An anonymous in-memory file: nothing to clean up on disk, even if we are killed.
class DataFile {
 public:
  DataFile() {
    fd_ = memfd_create("bcd-measure-data", MFD_CLOEXEC);
    if (fd_ < 0) fail("cannot create the measurement data file: {}", std::strerror(errno));
  }
  ~DataFile() { ::close(fd_); }
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

std::unique_ptr<worker::WorkerProcess> start_worker(const std::string& executable, int data_fd) {
  auto w = std::make_unique<worker::WorkerProcess>(executable, data_fd);
  std::string line;
  switch (w->read_line(line, kStartupSeconds)) {
    case worker::WorkerProcess::ReadStatus::Line:
      if (worker::decode_handshake(line)) return w;  // throws on a fatal line
      fail("measurement worker sent an unexpected greeting: {}", line);
    case worker::WorkerProcess::ReadStatus::Timeout:
      fail("measurement worker {} did not start within {} s", executable, kStartupSeconds);
    case worker::WorkerProcess::ReadStatus::Closed:
      fail("measurement worker {} {} before it was ready", executable, w->reap_after_close());
  }
  return w;
}

// A worker that dies while it starts (killed from outside, memory short) is no
// candidate's fault: it is started again, up to kWorkerStartAttempts times with
// growing pauses. Null, with the last reason in `error`, when every try failed.
constexpr int kWorkerStartAttempts = 3;

std::unique_ptr<worker::WorkerProcess> start_worker_supervised(const std::string& executable, int data_fd,
                                                               std::string& error) {
  for (int attempt = 0; attempt < kWorkerStartAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200 << (2 * (attempt - 1))));
    try {
      return start_worker(executable, data_fd);
    } catch (const Error& e) {
      error = fmt::format("the measurement worker could not start ({} tries): {}", kWorkerStartAttempts, e.what());
    }
  }
  return nullptr;
}

}  // namespace

std::vector<MeasureResult> run_all(const std::vector<BuildResult>& builds, const RunSpec& spec,
                                   const std::vector<bool>& verify, const RunnerOptions& options) {
  if (!verify.empty() && verify.size() != builds.size())
    fail("run_all: {} verify flags for {} candidates", verify.size(), builds.size());
  check_options(options);
  std::vector<MeasureResult> results(builds.size());
  std::vector<size_t> to_run;
  bool any_verify = false, any_cuda = false;
  std::string no_device_reason;
  for (size_t i = 0; i < builds.size(); ++i) {
    MeasureResult& r = results[i];
    r.build_seconds = builds[i].seconds;
    if (builds[i].error != MeasureError::None) {
      r.error = builds[i].error;
      r.error_message = builds[i].error_message;
    } else if (builds[i].library_path.empty()) {
      r.error = MeasureError::Unknown;
      r.error_message = "build produced no library";
    } else if (builds[i].target == "cuda" && !cuda_device_available(&no_device_reason)) {
      // Asked only when a CUDA candidate is to run: the driver loads on first use.
      r.error = MeasureError::Runtime;
      r.error_message = "no CUDA device: " + no_device_reason;
    } else {
      any_cuda = any_cuda || builds[i].target == "cuda";
      to_run.push_back(i);
      any_verify = any_verify || (!verify.empty() && verify[i]);
    }
  }
  check_spec(spec, any_verify);
  if (any_cuda && options.evict_activations)
    fail("evicting activations from the caches is for CPU candidates; CUDA ones cannot be timed so");
  if (to_run.empty()) return results;

  DataFile data;
  worker::write_data(data.fd(), spec, any_verify, any_cuda);
  std::string executable = worker::locate_worker();
  std::unique_ptr<worker::WorkerProcess> w;
  std::string start_error;  // once the worker could not be started, the rest of the call gets this

  for (size_t i : to_run) {
    MeasureResult& r = results[i];
    if (!w && start_error.empty()) w = start_worker_supervised(executable, data.fd(), start_error);
    if (!w) {
      r.error = MeasureError::Runtime;
      r.error_message = start_error;
      continue;
    }
    worker::Request req;
    req.target = builds[i].target;
    req.cuda_program = builds[i].cuda_program;
    req.library = builds[i].library_path;
    req.kernel = builds[i].kernel_name;
    req.packs = builds[i].packs;
    req.number = options.number;
    req.repeat = options.repeat;
    req.min_repeat_ms = options.min_repeat_ms;
    req.verify = !verify.empty() && verify[i];
    req.flush_cache = options.flush_cache;
    req.evict_activations = options.evict_activations;
    req.weight_inputs = spec.weight_inputs;
    req.rtol = spec.rtol;
    req.atol = spec.atol;

    auto start = Clock::now();
    std::string line;
    auto status = w->send_line(worker::encode_request(req))
                      ? w->read_line(line, options.timeout_seconds)
                      : worker::WorkerProcess::ReadStatus::Closed;
    r.run_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    switch (status) {
      case worker::WorkerProcess::ReadStatus::Line:
        try {
          worker::Reply reply = worker::decode_reply(line);
          r.error = reply.error;
          r.error_message = std::move(reply.message);
          if (r.error == MeasureError::None) r.costs = std::move(reply.costs);
          if (reply.restart) w.reset();  // it exits after this reply
        } catch (const Error& e) {
          // The stream may be out of step now: start over with a fresh worker.
          r.error = MeasureError::Unknown;
          r.error_message = e.what();
          w.reset();
        }
        break;
      case worker::WorkerProcess::ReadStatus::Timeout:
        r.error = MeasureError::Timeout;
        r.error_message = fmt::format("kernel did not finish within {} s", options.timeout_seconds);
        w.reset();  // SIGKILL and reap
        break;
      case worker::WorkerProcess::ReadStatus::Closed:
        r.error = MeasureError::Runtime;
        r.error_message = fmt::format("kernel crashed the measurement worker: {}", w->reap_after_close());
        w.reset();
        break;
    }
  }
  if (w) w->finish();
  return results;
}

}  // namespace bcd::runtime
