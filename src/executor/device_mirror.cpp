#include "executor/device_mirror.h"

#include "support/error.h"

namespace bcd::executor {

void DeviceMirror::add(const float* host, int64_t floats, bool upload) {
  if (buffers_.count(host)) return;
  size_t bytes = static_cast<size_t>(floats) * sizeof(float);
  runtime::DeviceBuffer& b = buffers_.emplace(host, runtime::DeviceBuffer(bytes)).first->second;
  bytes_ += static_cast<int64_t>(bytes);
  if (upload) b.upload(host);
}

runtime::DeviceBuffer& DeviceMirror::buffer(const float* host) const {
  auto it = buffers_.find(host);
  BCD_CHECK(it != buffers_.end(), "a network array has no device copy");
  return it->second;
}

runtime::CudaDevicePtr DeviceMirror::device(const float* host) const { return buffer(host).ptr(); }

void DeviceMirror::upload(const float* host, const NDArray& from, const runtime::CudaStream& stream) {
  runtime::DeviceBuffer& b = buffer(host);
  BCD_CHECK(static_cast<size_t>(from.size()) * sizeof(float) == b.bytes(), "upload of the wrong size");
  stream.upload(b.ptr(), from.data(), b.bytes());
}

// A planned buffer may be larger than the value read from it: only the value's
// floats come back.
void DeviceMirror::download(const float* host, NDArray& to, const runtime::CudaStream& stream) const {
  runtime::DeviceBuffer& b = buffer(host);
  const size_t bytes = static_cast<size_t>(to.size()) * sizeof(float);
  BCD_CHECK(bytes <= b.bytes(), "download of the wrong size");
  stream.download(to.data(), b.ptr(), bytes);
}

}  // namespace bcd::executor
