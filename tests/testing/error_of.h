// The message of the bcd::Error a call throws, or "no error": lets tests assert
// on one-line error messages.
#pragma once
#include <functional>
#include <string>

#include "support/error.h"

namespace bcd::testutil {

inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace bcd::testutil
