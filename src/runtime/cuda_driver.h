// The CUDA driver API, loaded with dlopen("libcuda.so.1") on first use and never
// linked: bcd runs where no driver is installed, and only CUDA work fails there,
// with a reason. Errors become bcd::CudaError carrying the driver's error name.
// Built without CUDA (BCD_HAVE_CUDA unset), every entry point fails with
// "bcd was built without CUDA" and cuda_device_available() says so.
//
// The handles are small RAII wrappers; they act on the calling thread's current
// context, which CudaContext sets.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "support/error.h"

// The driver's opaque handle types (cuda.h declares them the same way), so that
// this header does not need the toolkit.
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUevent_st;
struct CUstream_st;
struct CUgraph_st;
struct CUgraphExec_st;

namespace bcd::runtime {

// A failure reported by the driver. After one raised by a launch or a
// synchronisation the context may be unusable (sticky errors such as an illegal
// address): the process should drop it and start over.
class CudaError : public Error {
 public:
  using Error::Error;
};

// True when a CUDA device can be used from this process. Otherwise false, and
// `why` (if given) says what is missing: bcd was built without CUDA, the driver
// library cannot be loaded, the driver fails to initialise, or there is no device.
bool cuda_device_available(std::string* why = nullptr);

struct GpuInfo {
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int max_threads_per_block = 0;
  int max_shared_memory_per_block = 0;  // bytes of static shared memory
  int max_registers_per_block = 0;
  int warp_size = 0;
  int multiprocessor_count = 0;
  int max_threads_per_multiprocessor = 0;
  int l2_cache_bytes = 0;
};

// Reads the hardware parameters of `device`; fails without one.
GpuInfo gpu_info(int device = 0);
// The real architecture NVRTC compiles for on this device: "sm_<major><minor>".
std::string nvrtc_arch(const GpuInfo& info);
// What the builder compiles for: the device's own architecture when there is a
// device, else "compute_80" (portable PTX: compiling needs no device).
std::string cuda_build_arch();

using CudaDevicePtr = unsigned long long;  // CUdeviceptr

// The device's primary context (the one the runtime API would share), retained
// for the handle's life and made current on the constructing thread.
class CudaContext {
 public:
  explicit CudaContext(int device = 0);
  ~CudaContext();
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  void make_current() const;  // for use from another thread
  void synchronize() const;   // waits for all work; reports a kernel's fault
  int device() const { return device_; }

 private:
  int device_ = 0;
  CUctx_st* context_ = nullptr;
};

// Global memory of the current context.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  CudaDevicePtr ptr() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  // Synchronous copies of the whole buffer.
  void upload(const void* host);
  void download(void* host) const;
  // Sets every 32-bit word (e.g. 0x7fc00000, a quiet NaN as float).
  void fill_words(uint32_t value);

 private:
  CudaDevicePtr ptr_ = 0;
  size_t bytes_ = 0;
};

// A module loaded from a PTX, cubin or fatbin file into the current context.
class CudaModule {
 public:
  explicit CudaModule(const std::string& path);
  ~CudaModule();
  CudaModule(CudaModule&& other) noexcept;
  CudaModule& operator=(CudaModule&& other) noexcept;
  CudaModule(const CudaModule&) = delete;
  CudaModule& operator=(const CudaModule&) = delete;

  // Fails naming the kernel when the module has no such function.
  CUfunc_st* function(const std::string& name) const;

 private:
  CUmod_st* module_ = nullptr;
  std::string path_;
};

// A stream of the current context. It does not wait for the default stream (nor
// the default stream for it): work that must follow it goes on it too, or waits
// for synchronize().
class CudaStream {
 public:
  CudaStream();
  ~CudaStream();
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  CUstream_st* handle() const { return stream_; }
  void synchronize() const;  // waits for the stream's work; reports a kernel's fault
  // Copies ordered on the stream; they return once the host side is done (the
  // source may be reused, a download's destination is complete only after
  // synchronize()).
  void upload(CudaDevicePtr device, const void* host, size_t bytes) const;
  void download(void* host, CudaDevicePtr device, size_t bytes) const;

 private:
  CUstream_st* stream_ = nullptr;
};

// Launches captured once from a stream and replayed with one call: the driver
// submits a whole network's kernels at once instead of one host call each. The
// kernels' arguments (device addresses) are fixed at capture; the data behind
// them is read when the graph runs.
class CudaGraph {
 public:
  // Captures what `enqueue` puts on `stream` (kernel launches only; nothing runs
  // yet) and instantiates it. A launch that fails during capture fails here.
  CudaGraph(const CudaStream& stream, const std::function<void()>& enqueue);
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  void launch(const CudaStream& stream) const;  // enqueues one replay; returns at once

 private:
  CUgraph_st* graph_ = nullptr;
  CUgraphExec_st* exec_ = nullptr;
};

// An event, for timing: recorded on the default stream or on `stream`.
class CudaEvent {
 public:
  CudaEvent();
  ~CudaEvent();
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;

  void record(const CudaStream* stream = nullptr);
  void synchronize() const;
  // Milliseconds between two recorded, completed events.
  static double elapsed_ms(const CudaEvent& start, const CudaEvent& end);

 private:
  CUevent_st* event_ = nullptr;
};

// Enqueues one launch on `stream` (the default stream when null; static shared
// memory only). `args` points at one value per kernel parameter, as
// cuLaunchKernel wants.
void launch_kernel(CUfunc_st* function, const std::array<unsigned, 3>& grid,
                   const std::array<unsigned, 3>& block, void** args, const CudaStream* stream = nullptr);

}  // namespace bcd::runtime
