#include "worker/cuda_runner.h"

#include <algorithm>
#include <cstring>

#include "runtime/cuda_kernel.h"
#include "runtime/timer.h"
#include "support/error.h"

namespace bcd::worker {

using runtime::MeasureError;
using runtime::worker::Reply;
using runtime::worker::Request;

namespace {

constexpr uint32_t kQuietNaN = 0x7fc00000u;

size_t float_bytes(const std::vector<int64_t>& shape) {
  return static_cast<size_t>(shape_size(shape)) * sizeof(float);
}

}  // namespace

CudaRunner::CudaRunner(const runtime::worker::Data& data) : output_shapes_(data.output_shapes) {
  for (const NDArray& a : data.inputs) inputs_.push_back(a.copy());
  for (const NDArray& e : data.expected) expected_.push_back(e.copy());
  try {
    setup();
  } catch (const std::exception& e) {
    setup_error_ = fmt::format("cannot set up the CUDA device: {}", e.what());
    // Drop whatever was made, buffers before the context.
    params_.clear();
    buffers_.clear();
    context_.reset();
  }
}

void CudaRunner::setup() {
  context_ = std::make_unique<runtime::CudaContext>(0);
  l2_bytes_ = runtime::gpu_info(0).l2_cache_bytes;
  for (const NDArray& a : inputs_) {
    buffers_.emplace_back(float_bytes(a.shape()));
    buffers_.back().upload(a.data());
  }
  for (const auto& shape : output_shapes_) buffers_.emplace_back(float_bytes(shape));
  for (const runtime::DeviceBuffer& b : buffers_) params_.push_back(b.ptr());
}

Reply CudaRunner::handle(const Request& request) {
  if (!setup_error_.empty()) return Reply{MeasureError::Runtime, setup_error_, {}, false};
  Reply reply;
  try {
    runtime::CudaKernel kernel(request.library, request.cuda_program);
    if (request.verify) {
      if (expected_.empty()) fail("verification requested without expected outputs");
      // A previous candidate may have scribbled over its inputs; and NaN outputs
      // make sure a kernel that writes nothing cannot pass on stale results.
      for (size_t i = 0; i < inputs_.size(); ++i) buffers_[i].upload(inputs_[i].data());
      for (size_t j = 0; j < output_shapes_.size(); ++j) buffers_[inputs_.size() + j].fill_words(kQuietNaN);
      kernel.launch(params_);
      context_->synchronize();
      for (size_t j = 0; j < output_shapes_.size(); ++j) {
        NDArray out(output_shapes_[j]);
        buffers_[inputs_.size() + j].download(out.data());
        if (arrays_close(out, expected_[j], request.rtol, request.atol)) continue;
        ArrayDiff d = compare_arrays(out, expected_[j]);
        reply.error = MeasureError::WrongAnswer;
        reply.message = fmt::format(
            "output {} differs from the expected: max abs diff {:.3g}, max rel diff {:.3g} (rtol {}, atol {})", j,
            d.max_abs, d.max_rel, request.rtol, request.atol);
        return reply;
      }
    }
    reply.costs = time(kernel, request);
  } catch (const std::exception& e) {
    // Whatever failed, the context may be poisoned: a fresh process is cheap next
    // to a wrong measurement of every later candidate.
    reply = Reply{MeasureError::Runtime, e.what(), {}, true};
  }
  return reply;
}

std::vector<double> CudaRunner::time(const runtime::CudaKernel& kernel, const Request& request) {
  runtime::CudaEvent start, end;
  runtime::TimingOptions options{request.number, request.repeat, request.min_repeat_ms, nullptr};
  if (request.flush_cache) options.before_repeat = [this] { flush_l2(); };
  return runtime::time_repeats(
      [&](int number) {
        start.record();
        for (int i = 0; i < number; ++i) kernel.launch(params_);
        end.record();
        end.synchronize();
        return runtime::CudaEvent::elapsed_ms(start, end) * 1e-3;
      },
      options);
}

void CudaRunner::flush_l2() {
  if (flush_buffer_.bytes() == 0) {
    // Writing twice the L2's size evicts the kernel's data from it.
    size_t bytes = std::max<size_t>(2 * static_cast<size_t>(std::max(l2_bytes_, 0)), 8u << 20);
    flush_buffer_ = runtime::DeviceBuffer(bytes);
  }
  static uint32_t value = 0;
  flush_buffer_.fill_words(++value);
}

}  // namespace bcd::worker
