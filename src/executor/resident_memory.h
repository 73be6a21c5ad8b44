// The process's resident memory, as the kernel accounts it (/proc/self/status):
// what `bcd run` reports next to the weights' size, since the goal is a peak
// resident set under twice the weights.
#pragma once
#include <cstdint>

namespace bcd::executor {

// VmHWM: the largest resident set so far, in bytes; 0 where /proc is unavailable.
int64_t peak_resident_bytes();
// VmRSS: the resident set now, in bytes; 0 where /proc is unavailable.
int64_t current_resident_bytes();

}  // namespace bcd::executor
