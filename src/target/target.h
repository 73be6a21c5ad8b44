// What bcd compiles for, as one value: the kind of machine (llvm: a CPU through
// clang; cuda: an NVIDIA GPU through NVRTC), the hardware parameters the search
// rules use, and the settings that shape the programs it makes (the CPU's layout
// rewrites and bcd's two additions to Ansor's CPU search space).
//
// Its canonical string, in the spirit of TVM's target strings, is written into
// every record and into a run's run.json, and parsed back:
//   llvm -mcpu=sapphirerapids -cores=2 -lanes=16 -cache-line=64
//        -layout-rewrite=weights,accumulators -full-vector-tile-prob=0.5 -inner-tile-reorder-prob=0.5
//   cuda -arch=sm_90 -max-threads-per-block=1024 -max-shared-memory-per-block=49152
//        -max-registers-per-block=65536 -warp-size=32 -sms=132 -max-vthread=8
// A bare "llvm" or "cuda" (what records of earlier versions hold) parses with the
// defaults below; search::resolve_target fills in this machine's values instead.
#pragma once
#include <set>
#include <string>

namespace bcd {

enum class TargetKind { Llvm, Cuda };

struct HardwareParams {
  int num_cores = 1;
  int vector_lanes = 16;          // float32 lanes of the widest vector unit
  int cache_line_bytes = 64;
  int max_innermost_split_factor = 64;
  int max_vectorize_size = 16;    // longest fused loop the vectorize rule creates

  // GPU (target cuda); the defaults are an H100-like NVIDIA GPU. The CPU rules
  // never read these.
  int max_threads_per_block = 1024;
  int max_shared_memory_per_block = 48 * 1024;  // bytes (static shared memory)
  int max_local_memory_per_block = 65536;       // 32-bit registers per block
  int warp_size = 32;
  int num_sms = 132;
  int max_vthread_extent = 8;                   // Ansor: warp_size / 4

  bool operator==(const HardwareParams&) const = default;
};

// A modern NVIDIA GPU (H100-like), for when no device can be queried.
HardwareParams default_gpu_hardware();

struct Target {
  TargetKind kind = TargetKind::Llvm;
  // llvm: the CPU clang's -march=native resolves to ("" when unknown); cuda: the
  // architecture kernels are compiled for ("sm_90").
  std::string mcpu;
  HardwareParams hardware;
  // CPU programs store the weights they read and their local accumulators in the
  // order their loops use them (lower::lower_with_layout_rewrite).
  bool rewrite_weights = true;
  bool rewrite_accumulators = true;
  // Not Ansor's (0 is its space): the chance that a sampled CPU State's split of a
  // spatial loop whose extent the vector lanes divide gets an innermost length that
  // is a multiple of the lanes (search::fill_tile_sizes).
  double full_vector_tile_prob = 0.5;
  // Not Ansor's either: the share of sampled CPU States whose innermost tile of a
  // cached multi-level tiling gets another spatial loop innermost
  // (search::reorder_inner_tile).
  double inner_tile_reorder_prob = 0.5;

  static Target cpu(HardwareParams hardware = {});
  static Target gpu(HardwareParams hardware = default_gpu_hardware());

  bool is_gpu() const { return kind == TargetKind::Cuda; }
  // "llvm" or "cuda": what the code generators, the compilers and the worker need.
  std::string kind_name() const;
  // Ansor's own search space: bcd's two additions switched off.
  void use_ansor_space();
  bool is_ansor_space() const { return full_vector_tile_prob == 0 && inner_tile_reorder_prob == 0; }

  // Every setting of its kind, in a fixed order.
  std::string str() const;
  // Reads str()'s form: the kind, then -key=value options in any order. Options
  // left out keep their defaults; `given` (if any) receives the keys present.
  // Fails with one line on an unknown kind, an unknown or malformed option.
  static Target parse(const std::string& text, std::set<std::string>* given = nullptr);

  bool operator==(const Target&) const = default;
};

// Whether measurements recorded under target string `recorded` hold for `target`:
// the same kind, and the same value of every hardware and layout setting both
// give (a bare "llvm" of an older record gives none). The search-space settings do
// not count: they decide which States are sampled, not what a State's program is.
// An unparsable string never matches.
bool same_measurements(const std::string& recorded, const Target& target);

}  // namespace bcd
