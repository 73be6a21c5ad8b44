// The exceptions of bcd, by who is at fault:
// - Error: the user's input or environment (a malformed model, an unknown option,
//   a missing GPU). Its message is one line that names the problem; the CLI prints
//   it and exits non-zero. Subclasses narrow it (an invalid schedule step, a
//   compile timeout), and the search skips candidates that raise one.
// - InternalError: a bug in bcd (BCD_CHECK). Not an Error, so code that skips
//   invalid candidates does not mistake it for one: where the search must go on
//   anyway, it counts it (note_swallowed) and -v reports the count.
#pragma once
#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace bcd {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// The disk that bcd writes to (the kernel cache, a run's log) is full. Never a
// candidate's fault: the search must not record it as one, so it ends the run
// (what was recorded before stays).
class NoSpace : public Error {
 public:
  using Error::Error;
};

// Fails with NoSpace when `error_number` says the disk is full (ENOSPC, EDQUOT),
// else with Error; the message is "<what>: <strerror>".
[[noreturn]] void fail_io(int error_number, const std::string& what);

class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Records an internal error that the caller skips instead of ending the run
// (thread-safe, process-wide).
void note_swallowed(const InternalError& e);
// How many were skipped so far in this process, and the first one's message.
int64_t swallowed_internal_errors();
std::string first_swallowed_internal_error();

// Internal invariant: a failure here is a bug in bcd, not in the user's input.
#define BCD_CHECK(cond, ...)                                                              \
  do {                                                                                    \
    if (!(cond))                                                                          \
      throw ::bcd::InternalError(::fmt::format("internal check failed ({}): {}", #cond,   \
                                               ::fmt::format(__VA_ARGS__)));              \
  } while (0)

}  // namespace bcd
