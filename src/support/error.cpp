#include "support/error.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace bcd {

namespace {
std::atomic<int64_t> swallowed{0};
std::mutex first_mutex;
std::string first_message;
}  // namespace

void note_swallowed(const InternalError& e) {
  if (swallowed.fetch_add(1) == 0) {
    std::lock_guard<std::mutex> lock(first_mutex);
    first_message = e.what();
  }
}

int64_t swallowed_internal_errors() { return swallowed.load(); }

std::string first_swallowed_internal_error() {
  std::lock_guard<std::mutex> lock(first_mutex);
  return first_message;
}

void fail_io(int error_number, const std::string& what) {
  std::string message = what + ": " + std::strerror(error_number);
  if (error_number == ENOSPC || error_number == EDQUOT) throw NoSpace(message);
  throw Error(message);
}

}  // namespace bcd
