// Byte counts as the command line prints them.
#pragma once
#include <cstdint>

namespace bcd::cli {

inline double mib(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

}  // namespace bcd::cli
