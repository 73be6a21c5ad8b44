// Byte counts as the command line prints them.
#pragma once
#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace bcd::cli {

inline double mib(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// A package instance's workspace: its planned activations and the kernels' scratch
// (package_writer.h).
inline std::string workspace_text(int64_t activations, int64_t scratch, int64_t scratch_per_thread) {
  std::string text = fmt::format("workspace {:.2f} MiB activations", mib(activations));
  if (scratch > 0 || scratch_per_thread > 0) text += fmt::format(" + {:.2f} MiB kernel scratch", mib(scratch));
  if (scratch_per_thread > 0) text += fmt::format(" + {:.2f} MiB per thread", mib(scratch_per_thread));
  return text;
}

}  // namespace bcd::cli
