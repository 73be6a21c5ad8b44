/* A stand-in for the CUDA driver (libcuda.so.1), so that the GPU tests exercise
 * bcd's driver layer and the measurement worker's CUDA path on machines without a
 * GPU: ctest runs them with this library first on LD_LIBRARY_PATH.
 *
 * Device memory is host memory, launches run at once on the host, and a kernel's
 * behaviour is chosen by its name, matching tests/runtime/cuda_test_kernels.h:
 *   *_k0 / *_k1   the two-step program (tmp = a + 1; b = 2 * tmp - 2)
 *   *fault*       an illegal address: the error sticks, as on a real context
 *   *hang*        never returns (the runner must kill the worker)
 *   *wrong*       b = 2a + 0.5;  *nothing*: writes nothing;  anything else: b = 2a
 * Streams are serial like everything else. A stream under capture records its
 * launches instead of running them (their argument values copied, as the driver
 * does), and a graph launch runs the recorded list; a synchronous copy during a
 * capture fails, as on a real device.
 * Only the entry points bcd uses exist, plus what NVRTC probes when it finds a
 * driver (cuGetExportTable, answered "not found"). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum { kSuccess = 0, kInvalidValue = 1, kInvalidDevice = 101, kFileNotFound = 301, kNotFound = 500,
       kIllegalAddress = 700, kCaptureUnsupported = 900 };

typedef struct { char name[128]; } Function;
typedef struct { double seconds; } Event;

/* One recorded launch: the fake kernels take two or three pointers. */
typedef struct {
  void* function;
  unsigned grid[3], block[3];
  float* args[3];
} Launch;
typedef struct { Launch* launches; size_t count; } Graph;  /* also the instantiated graph */
typedef struct { int capturing; Graph* capture; } Stream;

static int captures_open = 0;

static CUresult sticky_error = kSuccess;  /* a fault poisons every later call */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int ends_with(const char* s, const char* suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

CUresult cuInit(unsigned flags) { (void)flags; return kSuccess; }
CUresult cuGetExportTable(const void** table, const void* id) { (void)id; *table = NULL; return kNotFound; }

CUresult cuGetErrorName(CUresult r, const char** s) {
  *s = r == kIllegalAddress ? "CUDA_ERROR_ILLEGAL_ADDRESS"
     : r == kInvalidValue   ? "CUDA_ERROR_INVALID_VALUE"
     : r == kInvalidDevice  ? "CUDA_ERROR_INVALID_DEVICE"
     : r == kFileNotFound   ? "CUDA_ERROR_FILE_NOT_FOUND"
     : r == kNotFound       ? "CUDA_ERROR_NOT_FOUND" : "CUDA_ERROR_UNKNOWN";
  return kSuccess;
}
CUresult cuGetErrorString(CUresult r, const char** s) { (void)r; *s = "reported by the fake driver"; return kSuccess; }

CUresult cuDeviceGetCount(int* count) { *count = 1; return kSuccess; }
CUresult cuDeviceGet(CUdevice* d, int ordinal) { if (ordinal != 0) return kInvalidDevice; *d = 0; return kSuccess; }
CUresult cuDeviceGetName(char* name, int len, CUdevice d) { (void)d; snprintf(name, (size_t)len, "Fake GPU"); return kSuccess; }
CUresult cuDeviceGetAttribute(int* v, int attribute, CUdevice d) {
  (void)d;
  switch (attribute) {  /* CUdevice_attribute values from cuda.h; H100-like numbers */
    case 1: *v = 1024; break;      /* max threads per block */
    case 8: *v = 49152; break;     /* shared memory per block */
    case 10: *v = 32; break;       /* warp size */
    case 12: *v = 65536; break;    /* registers per block */
    case 16: *v = 132; break;      /* multiprocessors */
    case 38: *v = 50 << 20; break; /* L2 bytes */
    case 39: *v = 2048; break;     /* threads per multiprocessor */
    case 75: *v = 9; break;        /* compute capability */
    case 76: *v = 0; break;
    default: *v = 1;
  }
  return kSuccess;
}

CUresult cuDevicePrimaryCtxRetain(void** ctx, CUdevice d) { (void)d; *ctx = (void*)0x1; return kSuccess; }
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) { (void)d; return kSuccess; }
CUresult cuCtxSetCurrent(void* ctx) { (void)ctx; return kSuccess; }
CUresult cuCtxSynchronize(void) { return sticky_error; }

CUresult cuModuleLoad(void** module, const char* path) {
  if (access(path, R_OK) != 0) return kFileNotFound;
  *module = malloc(1);
  return kSuccess;
}
CUresult cuModuleUnload(void* module) { free(module); return kSuccess; }
CUresult cuModuleGetFunction(void** f, void* module, const char* name) {
  (void)module;
  if (strstr(name, "no_such")) return kNotFound;
  Function* fn = calloc(1, sizeof *fn);
  strncpy(fn->name, name, sizeof fn->name - 1);
  *f = fn;  /* leaked: a test double */
  return kSuccess;
}

CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
  if (bytes == 0) return kInvalidValue;
  *p = (CUdeviceptr)(size_t)malloc(bytes);
  return kSuccess;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free((void*)(size_t)p); return kSuccess; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void* h, size_t bytes) {
  if (sticky_error) return sticky_error;
  if (captures_open) return kCaptureUnsupported;
  memcpy((void*)(size_t)d, h, bytes);
  return kSuccess;
}
CUresult cuMemcpyDtoH_v2(void* h, CUdeviceptr d, size_t bytes) {
  if (sticky_error) return sticky_error;
  if (captures_open) return kCaptureUnsupported;
  memcpy(h, (const void*)(size_t)d, bytes);
  return kSuccess;
}
CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned value, size_t n) {
  if (sticky_error) return sticky_error;
  unsigned* p = (unsigned*)(size_t)d;
  for (size_t i = 0; i < n; ++i) p[i] = value;
  return kSuccess;
}

static int takes_three(const char* name) { return ends_with(name, "_k0") || ends_with(name, "_k1"); }

static void run_launch(const Launch* l) {
  const char* name = ((Function*)l->function)->name;
  float* a = l->args[0];
  float* b = l->args[1];
  float* tmp = l->args[2];
  unsigned n = l->grid[0] * l->block[0];
  if (ends_with(name, "_k0")) {
    for (unsigned i = 0; i < n; ++i) tmp[i] = a[i] + 1.0f;
  } else if (ends_with(name, "_k1")) {
    for (unsigned i = 0; i < n; ++i) b[i] = tmp[i] * 2.0f - 2.0f;
  } else if (strstr(name, "fault")) {
    sticky_error = kIllegalAddress;
  } else if (strstr(name, "hang")) {
    for (;;) pause();
  } else if (strstr(name, "wrong")) {
    for (unsigned i = 0; i < n; ++i) b[i] = a[i] * 2.0f + 0.5f;
  } else if (!strstr(name, "nothing")) {
    for (unsigned i = 0; i < n; ++i) b[i] = a[i] * 2.0f;
  }
}

CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared_bytes, void* stream, void** args, void** extra) {
  (void)shared_bytes; (void)extra;
  if (sticky_error) return sticky_error;
  if (bx * by * bz > 1024) return kInvalidValue;
  Launch l = {f, {gx, gy, gz}, {bx, by, bz}, {NULL, NULL, NULL}};
  for (int i = 0; i < (takes_three(((Function*)f)->name) ? 3 : 2); ++i) l.args[i] = *(float**)args[i];
  Stream* s = (Stream*)stream;
  if (s && s->capturing) {
    Graph* g = s->capture;
    g->launches = realloc(g->launches, (g->count + 1) * sizeof(Launch));
    g->launches[g->count++] = l;
    return kSuccess;
  }
  run_launch(&l);
  return kSuccess;
}

CUresult cuStreamCreate(void** stream, unsigned flags) { (void)flags; *stream = calloc(1, sizeof(Stream)); return kSuccess; }
CUresult cuStreamDestroy_v2(void* stream) { free(stream); return kSuccess; }
CUresult cuStreamSynchronize(void* stream) { (void)stream; return sticky_error; }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* h, size_t bytes, void* stream) {
  if (sticky_error) return sticky_error;
  if (stream && ((Stream*)stream)->capturing) return kCaptureUnsupported;  /* bcd never captures copies */
  memcpy((void*)(size_t)d, h, bytes);
  return kSuccess;
}
CUresult cuMemcpyDtoHAsync_v2(void* h, CUdeviceptr d, size_t bytes, void* stream) {
  if (sticky_error) return sticky_error;
  if (stream && ((Stream*)stream)->capturing) return kCaptureUnsupported;
  memcpy(h, (const void*)(size_t)d, bytes);
  return kSuccess;
}
CUresult cuStreamBeginCapture_v2(void* stream, int mode) {
  (void)mode;
  Stream* s = (Stream*)stream;
  if (!s || s->capturing) return kInvalidValue;  /* the legacy stream cannot be captured */
  s->capturing = 1;
  s->capture = calloc(1, sizeof(Graph));
  ++captures_open;
  return kSuccess;
}
CUresult cuStreamEndCapture(void* stream, void** graph) {
  Stream* s = (Stream*)stream;
  if (!s || !s->capturing) return kInvalidValue;
  s->capturing = 0;
  --captures_open;
  *graph = s->capture;
  s->capture = NULL;
  return kSuccess;
}
CUresult cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long flags) {
  (void)flags;
  const Graph* g = (const Graph*)graph;
  Graph* e = calloc(1, sizeof(Graph));
  e->launches = malloc((g->count + 1) * sizeof(Launch));
  memcpy(e->launches, g->launches, g->count * sizeof(Launch));
  e->count = g->count;
  *exec = e;
  return kSuccess;
}
CUresult cuGraphLaunch(void* exec, void* stream) {
  (void)stream;
  if (sticky_error) return sticky_error;
  const Graph* e = (const Graph*)exec;
  for (size_t i = 0; i < e->count; ++i) run_launch(&e->launches[i]);
  return kSuccess;
}
static void free_graph(Graph* g) { if (g) { free(g->launches); free(g); } }
CUresult cuGraphExecDestroy(void* exec) { free_graph((Graph*)exec); return kSuccess; }
CUresult cuGraphDestroy(void* graph) { free_graph((Graph*)graph); return kSuccess; }

CUresult cuEventCreate(void** e, unsigned flags) { (void)flags; *e = calloc(1, sizeof(Event)); return kSuccess; }
CUresult cuEventDestroy_v2(void* e) { free(e); return kSuccess; }
CUresult cuEventRecord(void* e, void* stream) {
  (void)stream;
  if (sticky_error) return sticky_error;
  ((Event*)e)->seconds = now_seconds();
  return kSuccess;
}
CUresult cuEventSynchronize(void* e) { (void)e; return sticky_error; }
CUresult cuEventElapsedTime_v2(float* ms, void* start, void* end) {
  if (sticky_error) return sticky_error;
  *ms = (float)((((Event*)end)->seconds - ((Event*)start)->seconds) * 1e3);
  if (*ms <= 0) *ms = 1e-4f;  /* a real event pair around a launch is never 0 apart */
  return kSuccess;
}
