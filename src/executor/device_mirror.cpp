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

void DeviceMirror::upload(const float* host, const NDArray& from) {
  runtime::DeviceBuffer& b = buffer(host);
  BCD_CHECK(static_cast<size_t>(from.size()) * sizeof(float) == b.bytes(), "upload of the wrong size");
  b.upload(from.data());
}

void DeviceMirror::download(const float* host, NDArray& to) const {
  runtime::DeviceBuffer& b = buffer(host);
  BCD_CHECK(static_cast<size_t>(to.size()) * sizeof(float) <= b.bytes(), "download of the wrong size");
  if (static_cast<size_t>(to.size()) * sizeof(float) == b.bytes()) {
    b.download(to.data());
  } else {
    NDArray whole({static_cast<int64_t>(b.bytes() / sizeof(float))});
    b.download(whole.data());
    std::copy(whole.data(), whole.data() + to.size(), to.data());
  }
}

}  // namespace bcd::executor
