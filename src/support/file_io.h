// Writing a whole file with the reason of a failure in its one-line error: a full
// disk is NoSpace (support/error.h), which ends a run instead of blaming its input.
#pragma once
#include <string>

namespace bcd {

// Writes `bytes` to `path` (created or truncated). Fails with "<what>: <reason>",
// `what` defaulting to "cannot write <path>".
void write_file(const std::string& path, const std::string& bytes, const std::string& what = "");

}  // namespace bcd
