#include "support/error.h"

#include <atomic>
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

}  // namespace bcd
