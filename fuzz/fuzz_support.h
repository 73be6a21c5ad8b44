// What every fuzz target shares: bad input must end in bcd::Error (a one-line
// message) or succeed; anything else (another exception, a sanitizer report, a
// crash) is a finding. Sizes declared by the input are bounded by a small memory
// limit, so that a huge declared tensor is refused, not allocated.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <string>

#include "support/error.h"

namespace bcd::fuzz {

inline void set_up() { setenv("BCD_MEMORY_LIMIT", "256M", 1); }

inline std::string text(const uint8_t* data, size_t size) { return std::string(reinterpret_cast<const char*>(data), size); }

// Runs `body`; bcd::Error is the expected outcome of bad input, anything else escapes
// to libFuzzer (an uncaught exception aborts: a finding).
template <typename Body>
void expect_error_or_success(Body&& body) {
  try {
    body();
  } catch (const bcd::Error&) {
  }
}

}  // namespace bcd::fuzz
