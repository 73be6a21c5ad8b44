// What the measuring parent (run_all) and the bcd-worker process say to each other.
//
// The worker is started with the data already in an inherited file descriptor
// (kDataFd, a memfd the parent wrote once per run_all call, so a restarted worker
// reads the same bytes without a second copy or a temp file left behind) and a
// socket (kChannelFd) carrying one JSON object per line in both directions:
//   worker -> parent: {"ready":true} once the data is loaded, or {"fatal":"..."}
//   parent -> worker: one Request per candidate
//   worker -> parent: one Reply per request
// A socket rather than pipes: send(MSG_NOSIGNAL) lets the parent write to a dead
// worker without SIGPIPE and without touching the process-wide signal disposition.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/measure.h"
#include "support/ndarray.h"

namespace bcd::runtime::worker {

constexpr int kChannelFd = 3;
constexpr int kDataFd = 4;
// argv[1] of the worker, so that running bcd-worker by hand explains itself.
constexpr const char* kServeFlag = "--serve";

struct Request {
  std::string target = "llvm";  // "llvm" or "cuda"
  std::string library;          // shared object, or the CUDA module file
  std::string kernel;
  // Inputs the kernel reads in a rewritten layout: each pack function makes the
  // kernel's array from the original input before the kernel runs (outside the
  // timing; only verification needs the values, timing only the memory).
  std::vector<InputPack> packs;
  CudaProgram cuda_program;     // cuda: the launches to run
  int number = 1;
  int repeat = 3;
  double min_repeat_ms = 0;
  bool verify = false;
  bool flush_cache = false;
  bool evict_activations = false;  // RunnerOptions::evict_activations
  std::vector<int> weight_inputs;  // RunSpec::weight_inputs: kept warm by evict_activations
  double rtol = 1e-3, atol = 1e-3;
};

struct Reply {
  MeasureError error = MeasureError::None;
  std::string message;
  std::vector<double> costs;
  // The worker exits after this reply (its CUDA context may be dead after a
  // kernel's fault); the parent starts a fresh one for the next candidate.
  bool restart = false;
};

// One line each, without the trailing newline. Decoders fail (bcd::Error) on
// malformed text.
std::string encode_request(const Request& r);
Request decode_request(const std::string& line);
std::string encode_reply(const Reply& r);
Reply decode_reply(const std::string& line);
std::string encode_ready();
std::string encode_fatal(const std::string& message);
// True for a ready line; fails with the worker's message for a fatal line.
bool decode_handshake(const std::string& line);

// The arrays a kernel runs on. `expected` is empty or has one array per output.
struct Data {
  std::vector<NDArray> inputs;
  std::vector<std::vector<int64_t>> output_shapes;
  std::vector<NDArray> expected;
  // Set up the GPU (context, device copies of the arrays) before saying ready, so
  // that the first candidate's time limit does not pay for it.
  bool prepare_cuda = false;
};

// Writes the spec's inputs, output shapes and (when `with_expected`) the expected
// outputs to `fd` from its current offset.
void write_data(int fd, const RunSpec& spec, bool with_expected, bool prepare_cuda = false);
// Reads what write_data wrote, from offset 0 (pread: the offset is shared with the
// parent's descriptor).
Data read_data(int fd);

// Path of the bcd-worker executable: $BCD_WORKER, else next to the running
// executable, else where the build put it. Fails naming the places looked at.
std::string locate_worker();

}  // namespace bcd::runtime::worker
