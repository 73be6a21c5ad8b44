#include "codegen/cuda_host_emulator.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "runtime/compiler.h"
#include "support/error.h"

namespace bcd::testutil {

namespace {

// CUDA's vocabulary in host C++.
const char* kShim = R"(#include <barrier>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>
#include <vector>
struct bcd_dim3 { int x, y, z; };
static thread_local bcd_dim3 threadIdx, blockIdx;
static thread_local std::barrier<>* bcd_block_barrier;
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(n)
#define __restrict__ __restrict
static inline void __syncthreads() { bcd_block_barrier->arrive_and_wait(); }
static inline float __int_as_float(int i) { return std::bit_cast<float>(i); }
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) float2 { float x, y; };
// The vector accesses, checked: a GPU faults on a misaligned one.
#define BCD_VECTOR_ACCESS
static void bcd_check_aligned(const float* p, int lanes) {
  if (reinterpret_cast<std::uintptr_t>(p) % (lanes * sizeof(float)) != 0) {
    std::fprintf(stderr, "host emulation: misaligned float%d access at %p\n", lanes, static_cast<const void*>(p));
    std::abort();
  }
}
static inline float4 bcd_load4(const float* p) { bcd_check_aligned(p, 4); return {p[0], p[1], p[2], p[3]}; }
static inline float2 bcd_load2(const float* p) { bcd_check_aligned(p, 2); return {p[0], p[1]}; }
static inline void bcd_store4(float* p, float a, float b, float c, float d) {
  bcd_check_aligned(p, 4); p[0] = a; p[1] = b; p[2] = c; p[3] = d;
}
static inline void bcd_store2(float* p, float a, float b) { bcd_check_aligned(p, 2); p[0] = a; p[1] = b; }
static void bcd_launch(int gx, int gy, int gz, int bx, int by, int bz, const std::function<void()>& kernel) {
  int threads = bx * by * bz, blocks = gx * gy * gz;
  std::barrier<> barrier(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      threadIdx = {t % bx, (t / bx) % by, t / (bx * by)};
      bcd_block_barrier = &barrier;
      for (int b = 0; b < blocks; ++b) {
        blockIdx = {b % gx, (b / gx) % gy, b / (gx * gy)};
        kernel();
        barrier.arrive_and_wait();  // the next block reuses the shared arrays
      }
    });
  for (auto& t : pool) t.join();
}
)";

struct Launch {
  std::string kernel;
  int dims[6];
};

}  // namespace

void run_cuda_on_host(const std::string& cuda_source, const std::string& func, const std::vector<float*>& args) {
  std::vector<Launch> launches;
  std::vector<int64_t> buffers;
  std::istringstream in(cuda_source);
  std::string line;
  while (std::getline(in, line) && line.rfind("// bcd-", 0) == 0) {
    std::istringstream fields(line);
    std::string slashes, kind, f;
    fields >> slashes >> kind >> f;
    if (f != func) continue;
    if (kind == "bcd-launch") {
      Launch l;
      fields >> l.kernel;
      for (int& d : l.dims) fields >> d;
      if (!fields) fail("malformed launch line: {}", line);
      launches.push_back(l);
    } else if (kind == "bcd-buffer") {
      std::string name;
      int64_t size = 0;
      fields >> name >> size;
      if (!fields) fail("malformed buffer line: {}", line);
      buffers.push_back(size);
    }
  }
  if (launches.empty()) fail("the source launches nothing for {}", func);

  size_t num_args = args.size() + buffers.size();
  std::string source = std::string(kShim) + cuda_source + "\n";
  for (const auto& l : launches) {
    std::string call;
    for (size_t i = 0; i < num_args; ++i) call += fmt::format("{}a[{}]", i ? ", " : "", i);
    source += fmt::format(
        "extern \"C\" void {0}_host(float** a) {{ bcd_launch({1}, {2}, {3}, {4}, {5}, {6}, [&] {{ {0}({7}); }}); }}\n",
        l.kernel, l.dims[0], l.dims[1], l.dims[2], l.dims[3], l.dims[4], l.dims[5], call);
  }
  const char* cxx = std::getenv("CXX");
  std::string compiler = cxx && *cxx ? cxx : "c++";
  std::string so = runtime::cached_artifact(compiler + " host-emulation\n" + source, ".so", [&](const std::string& base) {
    std::string cpp = base + ".cpp", log = base + ".log";
    FILE* out = std::fopen(cpp.c_str(), "w");
    std::fwrite(source.data(), 1, source.size(), out);
    std::fclose(out);
    std::string cmd = fmt::format("{} -std=c++20 -O1 -w -shared -fPIC -pthread {} -o {}.so > {} 2>&1", compiler, cpp,
                                  base, log);
    int rc = std::system(cmd.c_str());
    std::remove(cpp.c_str());
    if (rc != 0) {
      std::ifstream l(log);
      std::stringstream text;
      text << l.rdbuf();
      std::remove(log.c_str());
      fail("host emulation of CUDA source failed to compile:\n{}", text.str().substr(0, 4000));
    }
    std::remove(log.c_str());
  });

  void* library = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) fail("cannot load {}: {}", so, dlerror());
  std::vector<std::vector<float>> intermediates;
  std::vector<float*> all = args;
  for (int64_t size : buffers) {
    intermediates.emplace_back(size, 0.0f);
    all.push_back(intermediates.back().data());
  }
  for (const auto& l : launches) {
    auto fn = reinterpret_cast<void (*)(float**)>(dlsym(library, (l.kernel + "_host").c_str()));
    if (!fn) fail("{} has no kernel {}", so, l.kernel);
    fn(all.data());
  }
  dlclose(library);
}

}  // namespace bcd::testutil
