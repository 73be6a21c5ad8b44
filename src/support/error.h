// One exception type for every user-facing failure: its message is a single line
// that names the problem, and the CLI prints it and exits non-zero.
#pragma once
#include <fmt/format.h>
#include <stdexcept>
#include <string>

namespace bcd {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Internal invariant: a failure here is a bug in bcd, not in the user's input.
#define BCD_CHECK(cond, ...)                                                       \
  do {                                                                             \
    if (!(cond)) ::bcd::fail("internal check failed ({}): {}", #cond,              \
                             ::fmt::format(__VA_ARGS__));                          \
  } while (0)

}  // namespace bcd
