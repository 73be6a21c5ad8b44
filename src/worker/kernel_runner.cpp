#include "worker/kernel_runner.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include "runtime/timer.h"
#include "support/error.h"

namespace bcd::worker {

using runtime::MeasureError;
using runtime::worker::Reply;
using runtime::worker::Request;

KernelRunner::KernelRunner(runtime::worker::Data data) : data_(std::move(data)) {
  for (NDArray& a : data_.inputs) {
    pristine_inputs_.push_back(a.copy());
    args_.push_back(a.data());
  }
  for (const auto& shape : data_.output_shapes) {
    outputs_.emplace_back(shape);
    args_.push_back(outputs_.back().data());
  }
  if (data_.prepare_cuda) cuda_ = std::make_unique<CudaRunner>(data_);
}

Reply KernelRunner::handle(const Request& request) {
  if (request.target == "cuda") {
    if (!cuda_) return Reply{MeasureError::Runtime, "the measurement worker was started without CUDA", {}, false};
    return cuda_->handle(request);
  }
  if (request.target != "llvm")
    return Reply{MeasureError::Runtime, fmt::format("unknown target '{}'", request.target), {}, false};
  Reply reply;
  try {
    auto it = modules_.find(request.library);
    if (it == modules_.end())
      it = modules_.emplace(request.library, runtime::Module::load(request.library)).first;
    runtime::Kernel kernel = it->second.get(request.kernel);

    if (request.verify) {
      if (data_.expected.empty()) fail("verification requested without expected outputs");
      // A previous candidate may have scribbled over its inputs; and NaN outputs
      // make sure a kernel that writes nothing cannot pass on stale results.
      for (size_t i = 0; i < data_.inputs.size(); ++i)
        std::memcpy(data_.inputs[i].data(), pristine_inputs_[i].data(),
                    static_cast<size_t>(data_.inputs[i].size()) * sizeof(float));
      // A rewritten input has as many elements as the original: its pack
      // function fills the same buffer in the kernel's layout.
      for (const auto& pack : request.packs) {
        if (pack.input < 0 || pack.input >= static_cast<int>(data_.inputs.size()))
          fail("pack {} names input {} of {}", pack.function, pack.input, data_.inputs.size());
        it->second.get(pack.function)
            .run(std::vector<float*>{pristine_inputs_[pack.input].data(), data_.inputs[pack.input].data()});
      }
      for (NDArray& o : outputs_) o.fill(std::numeric_limits<float>::quiet_NaN());
      kernel.run(args_);
      for (size_t j = 0; j < outputs_.size(); ++j) {
        if (arrays_close(outputs_[j], data_.expected[j], request.rtol, request.atol)) continue;
        ArrayDiff d = compare_arrays(outputs_[j], data_.expected[j]);
        reply.error = MeasureError::WrongAnswer;
        reply.message = fmt::format("output {} differs from the expected: max abs diff {:.3g}, max rel diff {:.3g} (rtol {}, atol {})",
                                    j, d.max_abs, d.max_rel, request.rtol, request.atol);
        return reply;
      }
    }
    reply.costs = time(kernel, request);
  } catch (const std::exception& e) {
    reply = Reply{MeasureError::Runtime, e.what(), {}, false};
  }
  return reply;
}

std::vector<double> KernelRunner::time(const runtime::Kernel& kernel, const Request& request) {
  runtime::TimingOptions options{request.number, request.repeat, request.min_repeat_ms, nullptr};
  if (request.flush_cache) options.before_repeat = [this] { flush_cache(); };
  if (request.evict_activations)
    options.before_repeat = [this, &request] { evict_activations(request.weight_inputs); };
  return runtime::time_function([&] { kernel.run(args_); }, options);
}

void KernelRunner::flush_cache() {
  if (flush_buffer_.empty()) flush_buffer_.resize(runtime::cpu_cache_flush_bytes());
  static char value = 0;
  std::memset(flush_buffer_.data(), ++value, flush_buffer_.size());
}

void KernelRunner::evict_activations(const std::vector<int>& weight_inputs) {
#if defined(__x86_64__)
  auto evict = [](const NDArray& a) {
    const char* bytes = reinterpret_cast<const char*>(a.data());
    const size_t size = static_cast<size_t>(a.size()) * sizeof(float);
    for (size_t offset = 0; offset < size; offset += 64) _mm_clflush(bytes + offset);
  };
  for (size_t i = 0; i < data_.inputs.size(); ++i)
    if (std::find(weight_inputs.begin(), weight_inputs.end(), static_cast<int>(i)) == weight_inputs.end())
      evict(data_.inputs[i]);
  for (const NDArray& o : outputs_) evict(o);
  _mm_mfence();  // the evictions are done before the kernel starts
#else
  (void)weight_inputs;
  flush_cache();  // no portable way to evict some lines only: evict everything
#endif
}

}  // namespace bcd::worker
