// The worker's side of one CUDA measurement: load the module, optionally verify
// the outputs, time the launches with CUDA events. The context and device copies
// of the arguments are made once, when the worker starts.
//
// A fault in a kernel (illegal address, launch failure) leaves the context unusable
// for the rest of the process, so every CUDA failure asks for a restart: the
// worker exits after replying and the parent starts a fresh one.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "runtime/cuda_driver.h"
#include "runtime/cuda_kernel.h"
#include "runtime/worker_protocol.h"

namespace bcd::worker {

class CudaRunner {
 public:
  // Never throws: a failure to set up the GPU is remembered and becomes every
  // CUDA request's error.
  explicit CudaRunner(const runtime::worker::Data& data);
  runtime::worker::Reply handle(const runtime::worker::Request& request);

 private:
  void setup();
  std::vector<double> time(const runtime::CudaKernel& kernel, const runtime::worker::Request& request);
  void flush_l2();

  std::vector<NDArray> inputs_;  // pristine host copies, restored before a verified run
  std::vector<std::vector<int64_t>> output_shapes_;
  std::vector<NDArray> expected_;
  std::string setup_error_;

  // Declared before the buffers: members are destroyed in reverse order, and the
  // buffers must be freed while the context is still retained.
  std::unique_ptr<runtime::CudaContext> context_;
  std::vector<runtime::DeviceBuffer> buffers_;  // inputs then outputs
  std::vector<runtime::CudaDevicePtr> params_;
  runtime::DeviceBuffer flush_buffer_;
  int l2_bytes_ = 0;
};

}  // namespace bcd::worker
