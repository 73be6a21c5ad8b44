#include "search/target.h"

#include <fmt/format.h>

#include <cstdlib>

#include "lower/lower.h"
#include "runtime/cuda_compiler.h"
#include "runtime/cuda_driver.h"
#include "support/error.h"

namespace bcd::search {

void check_target(const std::string& target) {
  if (target != "llvm" && target != "cuda") fail("unknown target '{}' (llvm or cuda)", target);
  if (target == "cuda" && !runtime::nvrtc_available())
    fail("target cuda: bcd was built without CUDA (no CUDA toolkit at configure time)");
}

TargetHardware hardware_for_target(const std::string& target) {
  check_target(target);
  TargetHardware t;
  if (!is_gpu_target(target)) {
    t.params = detect_cpu();
    t.description = fmt::format("CPU: {} cores, {} float lanes per vector", t.params.num_cores, t.params.vector_lanes);
    return t;
  }
  t.params = default_gpu_hardware();
  HardwareParams& p = t.params;
  std::string why;
  if (!runtime::cuda_device_available(&why)) {
    t.description = fmt::format("GPU defaults (no device: {})", why);
  } else {
    runtime::GpuInfo g = runtime::gpu_info(0);
    p.max_threads_per_block = g.max_threads_per_block;
    p.max_shared_memory_per_block = g.max_shared_memory_per_block;
    p.max_local_memory_per_block = g.max_registers_per_block;
    p.warp_size = g.warp_size;
    p.num_sms = g.multiprocessor_count;
    // Ansor's rule: a quarter of a warp of virtual threads at most.
    p.max_vthread_extent = std::max(1, g.warp_size / 4);
    t.description = fmt::format("GPU {} (sm_{}{})", g.name, g.cc_major, g.cc_minor);
  }
  t.description += fmt::format(
      ": {} threads and {} bytes of shared memory per block, {} registers per block, warp {}, {} SMs, "
      "vthreads up to {}",
      p.max_threads_per_block, p.max_shared_memory_per_block, p.max_local_memory_per_block, p.warp_size, p.num_sms,
      p.max_vthread_extent);
  return t;
}

void require_device(const std::string& target) {
  check_target(target);
  if (!is_gpu_target(target)) return;
  std::string why;
  if (!runtime::cuda_device_available(&why)) fail("target cuda needs a GPU: {}", why);
}

namespace {
// BCD_LAYOUT_REWRITE, for ablations: 0 (none), weights, accumulators; anything
// else, or unset, both.
lower::LayoutRewrites cpu_layout_rewrites() {
  static const lower::LayoutRewrites rewrites = [] {
    const char* v = std::getenv("BCD_LAYOUT_REWRITE");
    std::string value = v ? v : "";
    lower::LayoutRewrites r;
    if (value == "0" || value == "accumulators") r.weights = false;
    if (value == "0" || value == "weights") r.accumulators = false;
    return r;
  }();
  return rewrites;
}
}  // namespace

lower::Program lower_for_target(const schedule::State& state, const std::string& name, const std::string& target) {
  if (!is_gpu_target(target)) return lower::lower_with_layout_rewrite(state, name, cpu_layout_rewrites());
  lower::Program p;
  p.kernel = lower::lower_state(state, name);
  return p;
}

}  // namespace bcd::search
