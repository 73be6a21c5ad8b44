#include "runtime/cuda_driver.h"

#include <utility>

#if BCD_HAVE_CUDA
#include <cuda.h>
#include <dlfcn.h>
#endif

namespace bcd::runtime {

#if BCD_HAVE_CUDA

namespace {

// cuda.h maps many names to versioned symbols (cuMemAlloc -> cuMemAlloc_v2), and
// the driver exports both: the old names keep their old ABI. Stringifying after
// macro expansion looks up the symbol matching the prototype we call through.
#define BCD_CU_SYMBOL_TEXT(name) #name
#define BCD_CU_SYMBOL(name) BCD_CU_SYMBOL_TEXT(name)

#define BCD_CU_FUNCTIONS(X)                                                                   \
  X(cuInit) X(cuGetErrorName) X(cuGetErrorString) X(cuDeviceGetCount) X(cuDeviceGet)           \
  X(cuDeviceGetName) X(cuDeviceGetAttribute) X(cuDevicePrimaryCtxRetain)                       \
  X(cuDevicePrimaryCtxRelease) X(cuCtxSetCurrent) X(cuCtxSynchronize) X(cuModuleLoad)         \
  X(cuModuleUnload) X(cuModuleGetFunction) X(cuMemAlloc) X(cuMemFree) X(cuMemcpyHtoD)          \
  X(cuMemcpyDtoH) X(cuMemsetD32) X(cuLaunchKernel) X(cuEventCreate) X(cuEventDestroy)          \
  X(cuEventRecord) X(cuEventSynchronize) X(cuEventElapsedTime) X(cuStreamCreate) X(cuStreamDestroy)  \
  X(cuStreamSynchronize) X(cuMemcpyHtoDAsync) X(cuMemcpyDtoHAsync) X(cuStreamBeginCapture)      \
  X(cuStreamEndCapture) X(cuGraphInstantiate) X(cuGraphLaunch) X(cuGraphExecDestroy)             \
  X(cuGraphDestroy)

struct DriverApi {
#define BCD_CU_MEMBER(name) decltype(&::name) name = nullptr;
  BCD_CU_FUNCTIONS(BCD_CU_MEMBER)
#undef BCD_CU_MEMBER
};

struct Driver {
  DriverApi api;
  std::string unavailable;  // empty when a device can be used
};

std::string result_text(const DriverApi& api, CUresult r) {
  const char* name = nullptr;
  const char* text = nullptr;
  if (api.cuGetErrorName) api.cuGetErrorName(r, &name);
  if (api.cuGetErrorString) api.cuGetErrorString(r, &text);
  return fmt::format("{} ({})", name ? name : fmt::format("CUDA error {}", static_cast<int>(r)),
                     text ? text : "no description");
}

Driver load_driver() {
  Driver d;
  // Never closed: the driver keeps threads and state for the process's life.
  void* library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* e = dlerror();
    d.unavailable = fmt::format("no CUDA driver library ({})", e ? e : "libcuda.so.1 not found");
    return d;
  }
#define BCD_CU_LOAD(name)                                                                       \
  d.api.name = reinterpret_cast<decltype(d.api.name)>(dlsym(library, BCD_CU_SYMBOL(name)));     \
  if (!d.api.name) {                                                                            \
    d.unavailable = fmt::format("the CUDA driver has no {} (older than the CUDA {}.{} headers bcd was built with)", \
                                BCD_CU_SYMBOL(name), CUDA_VERSION / 1000, CUDA_VERSION % 1000 / 10);            \
    return d;                                                                                   \
  }
  BCD_CU_FUNCTIONS(BCD_CU_LOAD)
#undef BCD_CU_LOAD
  if (CUresult r = d.api.cuInit(0); r != CUDA_SUCCESS) {
    d.unavailable = fmt::format("CUDA driver initialisation failed: {}", result_text(d.api, r));
    return d;
  }
  int count = 0;
  if (CUresult r = d.api.cuDeviceGetCount(&count); r != CUDA_SUCCESS) {
    d.unavailable = fmt::format("cannot count CUDA devices: {}", result_text(d.api, r));
    return d;
  }
  if (count == 0) d.unavailable = "the CUDA driver reports no device";
  return d;
}

const Driver& driver() {
  static const Driver d = load_driver();  // thread-safe, once per process
  return d;
}

// For destructors: a handle exists only once the driver loaded, and they must not throw.
const DriverApi& loaded_api() { return driver().api; }

const DriverApi& api() {
  const Driver& d = driver();
  if (!d.unavailable.empty()) throw CudaError("no CUDA device: " + d.unavailable);
  return d.api;
}

void check(CUresult r, const char* call) {
  if (r != CUDA_SUCCESS) throw CudaError(fmt::format("CUDA {} failed: {}", call, result_text(api(), r)));
}

CUdevice device_handle(int ordinal) {
  CUdevice device;
  check(api().cuDeviceGet(&device, ordinal), "cuDeviceGet");
  return device;
}

int attribute(CUdevice device, CUdevice_attribute which) {
  int value = 0;
  check(api().cuDeviceGetAttribute(&value, which, device), "cuDeviceGetAttribute");
  return value;
}

}  // namespace

bool cuda_device_available(std::string* why) {
  const Driver& d = driver();
  if (why) *why = d.unavailable;
  return d.unavailable.empty();
}

GpuInfo gpu_info(int device) {
  CUdevice dev = device_handle(device);
  GpuInfo info;
  char name[256] = {};
  check(api().cuDeviceGetName(name, sizeof name - 1, dev), "cuDeviceGetName");
  info.name = name;
  info.cc_major = attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
  info.cc_minor = attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  info.max_threads_per_block = attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
  info.max_shared_memory_per_block = attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
  info.max_registers_per_block = attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK);
  info.warp_size = attribute(dev, CU_DEVICE_ATTRIBUTE_WARP_SIZE);
  info.multiprocessor_count = attribute(dev, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
  info.max_threads_per_multiprocessor = attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR);
  info.l2_cache_bytes = attribute(dev, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
  return info;
}

CudaContext::CudaContext(int device) : device_(device) {
  CUdevice dev = device_handle(device);
  check(api().cuDevicePrimaryCtxRetain(&context_, dev), "cuDevicePrimaryCtxRetain");
  try {
    make_current();
  } catch (...) {
    api().cuDevicePrimaryCtxRelease(dev);
    throw;
  }
}

CudaContext::~CudaContext() {
  // Errors are ignored: after a sticky fault the release still drops our reference.
  CUdevice dev;
  if (loaded_api().cuDeviceGet(&dev, device_) == CUDA_SUCCESS) loaded_api().cuDevicePrimaryCtxRelease(dev);
}

void CudaContext::make_current() const { check(api().cuCtxSetCurrent(context_), "cuCtxSetCurrent"); }

void CudaContext::synchronize() const { check(api().cuCtxSynchronize(), "cuCtxSynchronize"); }

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  check(api().cuMemAlloc(&ptr_, bytes), "cuMemAlloc");
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_) loaded_api().cuMemFree(ptr_);  // may fail in a dead context; nothing to do about it
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, 0)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (ptr_) loaded_api().cuMemFree(ptr_);
    ptr_ = std::exchange(other.ptr_, 0);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::upload(const void* host) { check(api().cuMemcpyHtoD(ptr_, host, bytes_), "cuMemcpyHtoD"); }

void DeviceBuffer::download(void* host) const {
  check(api().cuMemcpyDtoH(host, ptr_, bytes_), "cuMemcpyDtoH");
}

void DeviceBuffer::fill_words(uint32_t value) {
  check(api().cuMemsetD32(ptr_, value, bytes_ / 4), "cuMemsetD32");
}

CudaModule::CudaModule(const std::string& path) : path_(path) {
  CUresult r = api().cuModuleLoad(&module_, path.c_str());
  if (r != CUDA_SUCCESS)
    throw CudaError(fmt::format("cannot load CUDA module {}: {}", path, result_text(api(), r)));
}

CudaModule::~CudaModule() {
  if (module_) loaded_api().cuModuleUnload(module_);
}

CudaModule::CudaModule(CudaModule&& other) noexcept
    : module_(std::exchange(other.module_, nullptr)), path_(std::move(other.path_)) {}

CudaModule& CudaModule::operator=(CudaModule&& other) noexcept {
  if (this != &other) {
    if (module_) loaded_api().cuModuleUnload(module_);
    module_ = std::exchange(other.module_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

CUfunc_st* CudaModule::function(const std::string& name) const {
  CUfunction f = nullptr;
  CUresult r = api().cuModuleGetFunction(&f, module_, name.c_str());
  if (r != CUDA_SUCCESS)
    throw CudaError(fmt::format("CUDA module {} has no kernel '{}': {}", path_, name, result_text(api(), r)));
  return f;
}

CudaEvent::CudaEvent() { check(api().cuEventCreate(&event_, CU_EVENT_DEFAULT), "cuEventCreate"); }

CudaEvent::~CudaEvent() {
  if (event_) loaded_api().cuEventDestroy(event_);
}

void CudaEvent::record(const CudaStream* stream) {
  check(api().cuEventRecord(event_, stream ? stream->handle() : nullptr), "cuEventRecord");
}

void CudaEvent::synchronize() const { check(api().cuEventSynchronize(event_), "cuEventSynchronize"); }

double CudaEvent::elapsed_ms(const CudaEvent& start, const CudaEvent& end) {
  float ms = 0;
  check(api().cuEventElapsedTime(&ms, start.event_, end.event_), "cuEventElapsedTime");
  return ms;
}

void launch_kernel(CUfunc_st* function, const std::array<unsigned, 3>& grid,
                   const std::array<unsigned, 3>& block, void** args, const CudaStream* stream) {
  check(api().cuLaunchKernel(function, grid[0], grid[1], grid[2], block[0], block[1], block[2],
                             /*sharedMemBytes=*/0, stream ? stream->handle() : nullptr, args, nullptr),
        "cuLaunchKernel");
}

CudaStream::CudaStream() { check(api().cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate"); }

CudaStream::~CudaStream() {
  if (stream_) loaded_api().cuStreamDestroy(stream_);
}

void CudaStream::synchronize() const { check(api().cuStreamSynchronize(stream_), "cuStreamSynchronize"); }

void CudaStream::upload(CudaDevicePtr device, const void* host, size_t bytes) const {
  check(api().cuMemcpyHtoDAsync(device, host, bytes, stream_), "cuMemcpyHtoDAsync");
}

void CudaStream::download(void* host, CudaDevicePtr device, size_t bytes) const {
  check(api().cuMemcpyDtoHAsync(host, device, bytes, stream_), "cuMemcpyDtoHAsync");
}

CudaGraph::CudaGraph(const CudaStream& stream, const std::function<void()>& enqueue) {
  // Thread-local capture: other threads may use the driver meanwhile.
  check(api().cuStreamBeginCapture(stream.handle(), CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture");
  try {
    enqueue();
  } catch (...) {
    CUgraph partial = nullptr;  // ends the capture, whatever it holds
    if (loaded_api().cuStreamEndCapture(stream.handle(), &partial) == CUDA_SUCCESS && partial)
      loaded_api().cuGraphDestroy(partial);
    throw;
  }
  check(api().cuStreamEndCapture(stream.handle(), &graph_), "cuStreamEndCapture");
  CUresult r = api().cuGraphInstantiate(&exec_, graph_, 0);
  if (r != CUDA_SUCCESS) {
    loaded_api().cuGraphDestroy(graph_);
    check(r, "cuGraphInstantiate");
  }
}

CudaGraph::~CudaGraph() {
  if (exec_) loaded_api().cuGraphExecDestroy(exec_);
  if (graph_) loaded_api().cuGraphDestroy(graph_);
}

void CudaGraph::launch(const CudaStream& stream) const {
  check(api().cuGraphLaunch(exec_, stream.handle()), "cuGraphLaunch");
}

#else  // !BCD_HAVE_CUDA

namespace {

constexpr const char* kNoCuda = "bcd was built without CUDA";

[[noreturn]] void no_cuda() { throw CudaError(fmt::format("no CUDA device: {}", kNoCuda)); }

}  // namespace

bool cuda_device_available(std::string* why) {
  if (why) *why = kNoCuda;
  return false;
}

GpuInfo gpu_info(int) { no_cuda(); }
CudaContext::CudaContext(int) { no_cuda(); }
CudaContext::~CudaContext() = default;
void CudaContext::make_current() const { no_cuda(); }
void CudaContext::synchronize() const { no_cuda(); }
DeviceBuffer::DeviceBuffer(size_t) { no_cuda(); }
DeviceBuffer::~DeviceBuffer() = default;
DeviceBuffer::DeviceBuffer(DeviceBuffer&&) noexcept {}
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&&) noexcept { return *this; }
void DeviceBuffer::upload(const void*) { no_cuda(); }
void DeviceBuffer::download(void*) const { no_cuda(); }
void DeviceBuffer::fill_words(uint32_t) { no_cuda(); }
CudaModule::CudaModule(const std::string&) { no_cuda(); }
CudaModule::~CudaModule() = default;
CudaModule::CudaModule(CudaModule&&) noexcept {}
CudaModule& CudaModule::operator=(CudaModule&&) noexcept { return *this; }
CUfunc_st* CudaModule::function(const std::string&) const { no_cuda(); }
CudaEvent::CudaEvent() { no_cuda(); }
CudaEvent::~CudaEvent() = default;
void CudaEvent::record(const CudaStream*) { no_cuda(); }
CudaStream::CudaStream() { no_cuda(); }
CudaStream::~CudaStream() = default;
void CudaStream::synchronize() const { no_cuda(); }
void CudaStream::upload(CudaDevicePtr, const void*, size_t) const { no_cuda(); }
void CudaStream::download(void*, CudaDevicePtr, size_t) const { no_cuda(); }
CudaGraph::CudaGraph(const CudaStream&, const std::function<void()>&) { no_cuda(); }
CudaGraph::~CudaGraph() = default;
void CudaGraph::launch(const CudaStream&) const { no_cuda(); }
void CudaEvent::synchronize() const { no_cuda(); }
double CudaEvent::elapsed_ms(const CudaEvent&, const CudaEvent&) { no_cuda(); }
void launch_kernel(CUfunc_st*, const std::array<unsigned, 3>&, const std::array<unsigned, 3>&, void**,
                   const CudaStream*) {
  no_cuda();
}

#endif  // BCD_HAVE_CUDA

std::string nvrtc_arch(const GpuInfo& info) { return fmt::format("sm_{}{}", info.cc_major, info.cc_minor); }

std::string cuda_build_arch() {
  static const std::string arch = cuda_device_available() ? nvrtc_arch(gpu_info(0)) : "compute_80";
  return arch;
}

}  // namespace bcd::runtime
