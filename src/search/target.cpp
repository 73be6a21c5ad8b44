#include "search/target.h"

#include <fmt/format.h>

#include <algorithm>

#include "lower/lower.h"
#include "runtime/compiler.h"
#include "runtime/cuda_compiler.h"
#include "runtime/cuda_driver.h"
#include "support/error.h"

namespace bcd::search {

namespace {

Target detected(TargetKind kind) {
  if (kind == TargetKind::Llvm) {
    Target t = Target::cpu(detect_cpu());
    t.mcpu = runtime::host_cpu_name();
    return t;
  }
  Target t = Target::gpu();
  t.mcpu = runtime::cuda_build_arch();
  std::string why;
  if (!runtime::cuda_device_available(&why)) return t;
  runtime::GpuInfo g = runtime::gpu_info(0);
  HardwareParams& p = t.hardware;
  p.max_threads_per_block = g.max_threads_per_block;
  p.max_shared_memory_per_block = g.max_shared_memory_per_block;
  p.max_local_memory_per_block = g.max_registers_per_block;
  p.warp_size = g.warp_size;
  p.num_sms = g.multiprocessor_count;
  // Ansor's rule: a quarter of a warp of virtual threads at most.
  p.max_vthread_extent = std::max(1, g.warp_size / 4);
  return t;
}

void require_nvrtc(const Target& target) {
  if (target.is_gpu() && !runtime::nvrtc_available())
    fail("target cuda: bcd was built without CUDA (no CUDA toolkit at configure time)");
}

}  // namespace

Target resolve_target(const std::string& spec) {
  Target asked = Target::parse(spec);
  require_nvrtc(asked);
  // The spec's options after this machine's values: a later option wins, so the
  // result keeps what the spec gives and takes everything else from here.
  std::string options = spec.substr(std::min(spec.size(), spec.find_first_of(" \t")));
  return Target::parse(detected(asked.kind).str() + " " + options);
}

std::string describe_target(const Target& target) {
  const HardwareParams& p = target.hardware;
  if (!target.is_gpu())
    return fmt::format("CPU {}: {} cores, {} float lanes per vector", target.mcpu.empty() ? "(name unknown)" : target.mcpu,
                       p.num_cores, p.vector_lanes);
  std::string why;
  std::string device = runtime::cuda_device_available(&why) ? fmt::format("GPU {}", runtime::gpu_info(0).name)
                                                            : fmt::format("GPU defaults (no device: {})", why);
  return device + fmt::format(
                      " ({}): {} threads and {} bytes of shared memory per block, {} registers per block, warp {}, "
                      "{} SMs, vthreads up to {}",
                      target.mcpu, p.max_threads_per_block, p.max_shared_memory_per_block,
                      p.max_local_memory_per_block, p.warp_size, p.num_sms, p.max_vthread_extent);
}

void require_device(const Target& target) {
  if (!target.is_gpu()) return;
  require_nvrtc(target);
  std::string why;
  if (!runtime::cuda_device_available(&why)) fail("target cuda needs a GPU: {}", why);
}

lower::Program lower_for_target(const schedule::State& state, const std::string& name, const Target& target) {
  if (!target.is_gpu())
    return lower::lower_with_layout_rewrite(state, name,
                                            {.weights = target.rewrite_weights,
                                             .accumulators = target.rewrite_accumulators});
  lower::Program p;
  p.kernel = lower::lower_state(state, name);
  return p;
}

}  // namespace bcd::search
