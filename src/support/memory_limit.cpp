#include "support/memory_limit.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>

#include "support/error.h"

namespace bcd {

uint64_t parse_byte_count(const std::string& text, const std::string& what) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(value) || value <= 0)
    fail("{} must be a positive byte count such as 512M or 8G, not '{}'", what, text);
  std::string unit(end);
  double scale = 1;
  if (unit == "K" || unit == "k") scale = 1024.0;
  else if (unit == "M") scale = 1024.0 * 1024;
  else if (unit == "G") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T") scale = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty()) fail("{} has an unknown unit '{}' (K, M, G or T): '{}'", what, unit, text);
  double bytes = value * scale;
  if (bytes >= 1.8e19) fail("{} is too large: '{}'", what, text);
  return static_cast<uint64_t>(bytes);
}

namespace {

uint64_t physical_memory_bytes() {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : uint64_t{1} << 40;
}

std::string gib(uint64_t bytes) { return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1 << 30)); }

}  // namespace

uint64_t memory_limit_bytes() {
  static const uint64_t limit = [] {
    const char* env = std::getenv("BCD_MEMORY_LIMIT");
    return env && *env ? parse_byte_count(env, "BCD_MEMORY_LIMIT") : physical_memory_bytes();
  }();
  return limit;
}

void check_allocation(uint64_t bytes, const std::string& what) {
  uint64_t limit = memory_limit_bytes();
  if (bytes > limit)
    fail("{} needs {}, more than the memory limit of {} (set BCD_MEMORY_LIMIT to change it)", what, gib(bytes),
         gib(limit));
}

}  // namespace bcd
