// The GPU side of a network's memory (target cuda). The network plans and keeps its
// arrays on the host exactly as for the CPU; the mirror gives each of them a
// device buffer of the same size (weights uploaded once, activations and graph
// inputs left for the kernels), so that a step's arguments translate one to one
// from host arrays to device addresses. Copies of inputs and outputs go on the
// network's stream, ordered with its kernels.
#pragma once
#include <cstdint>
#include <unordered_map>

#include "runtime/cuda_driver.h"
#include "support/ndarray.h"

namespace bcd::executor {

class DeviceMirror {
 public:
  // Registers a host array of `floats` floats; `upload` copies its contents now.
  // Registering the same array again does nothing.
  void add(const float* host, int64_t floats, bool upload);
  // Fails if `host` was not registered.
  runtime::CudaDevicePtr device(const float* host) const;
  // Enqueued on `stream`; a download is complete after stream.synchronize().
  void upload(const float* host, const NDArray& from, const runtime::CudaStream& stream);
  void download(const float* host, NDArray& to, const runtime::CudaStream& stream) const;
  int64_t device_bytes() const { return bytes_; }

 private:
  runtime::DeviceBuffer& buffer(const float* host) const;
  mutable std::unordered_map<const float*, runtime::DeviceBuffer> buffers_;
  int64_t bytes_ = 0;
};

}  // namespace bcd::executor
