#include "support/hash.h"

#include <fmt/format.h>

namespace bcd {

std::string stable_hash_hex(std::string_view bytes) {
  return fmt::format("{:016x}", stable_hash(bytes));
}

}  // namespace bcd
