// bcd's version (CMakeLists.txt's project version), as `bcd --version` prints it
// and packages record it.
#pragma once

namespace bcd {

inline constexpr const char* kVersion = BCD_VERSION;

}  // namespace bcd
