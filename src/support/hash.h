// A stable 64-bit hash (FNV-1a): the same bytes give the same value in every
// process and on every machine, unlike std::hash.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace bcd {

inline uint64_t stable_hash(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// 16 lowercase hex digits.
std::string stable_hash_hex(std::string_view bytes);

}  // namespace bcd
