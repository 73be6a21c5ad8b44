// The contract between a compiled package (written by src/package/, a shared
// library) and the runtime that loads it (include/bcd/runtime.h): the symbols a
// package exports, its ABI version, the CPU features a loader can check, and the
// hash that guards the weights. Both sides include this header and nothing else of
// each other, so neither can drift.
//
// A package exports, all compiled for the baseline CPU (the loader calls them before
// it knows the CPU can run the kernels):
//   int bcd_package_abi_version(void);
//   const char* bcd_package_metadata(void);      // JSON, see kMetadata* below
//   const unsigned char* bcd_package_weights(uint64_t* size);
//   uint64_t bcd_package_workspace_bytes(void);
//       // activations and the kernels' scratch, for this process's OpenMP thread count
//   int bcd_package_run(void* workspace, uint64_t workspace_bytes, const float* const* inputs,
//                       float* const* outputs, double* step_seconds);
//       // 0, or 1 + the index of the step whose kernel failed; workspace_bytes is
//       // what the workspace holds (a kernel's threads without a scratch slice in it
//       // allocate their own); step_seconds, unless null, receives each step's time
//       // (the metadata's "step_tasks" names them)
// and the kernels, compiled for the CPU named by the metadata's cpu_features.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace bcd::package {

// Raised whenever the symbols, their meaning or the metadata's required fields change.
constexpr int kAbiVersion = 2;

constexpr const char* kAbiVersionSymbol = "bcd_package_abi_version";
constexpr const char* kMetadataSymbol = "bcd_package_metadata";
constexpr const char* kWeightsSymbol = "bcd_package_weights";
constexpr const char* kWorkspaceSymbol = "bcd_package_workspace_bytes";
constexpr const char* kRunSymbol = "bcd_package_run";

using AbiVersionFn = int (*)();
using MetadataFn = const char* (*)();
using WeightsFn = const unsigned char* (*)(uint64_t*);
using WorkspaceFn = uint64_t (*)();
using RunFn = int (*)(void*, uint64_t, const float* const*, float* const*, double*);

// Buffers inside the workspace and the weights start at multiples of this.
constexpr int64_t kAlignment = 64;

// The instruction-set features a package may require and a loader can test (LLVM's
// names). A package records those of its compiler's -march=native that are listed
// here; a feature outside the list is not checked.
constexpr const char* kCheckedCpuFeatures[] = {
    "sse3",     "ssse3",      "sse4.1",     "sse4.2",   "popcnt",     "aes",        "pclmul",
    "avx",      "avx2",       "fma",        "bmi",      "bmi2",       "avx512f",    "avx512cd",
    "avx512vl", "avx512bw",   "avx512dq",   "avx512ifma", "avx512vbmi", "avx512vbmi2", "avx512vnni",
    "avx512bitalg", "avx512vpopcntdq", "avx512bf16", "avx512fp16", "gfni", "vpclmulqdq"};

// 64-bit FNV-1a over little-endian 8-byte words (then the tail bytes): a stable
// checksum that reads hundreds of MB of weights in milliseconds. It detects
// corruption, not tampering.
inline uint64_t weights_hash(const unsigned char* data, uint64_t size) {
  uint64_t h = 14695981039346656037ull;
  uint64_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, 8);
    h = (h ^ word) * 1099511628211ull;
  }
  for (; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

}  // namespace bcd::package
