// Compiling generated C source into a shared object with the system C compiler.
// The flags live here and only here; they were chosen by measurement (see the
// comment in compiler.cpp). Results are cached on disk by a hash of source + flags,
// so the same program is never compiled twice, across processes too.
#pragma once
#include <string>
#include <vector>

namespace bcd::runtime {

struct CompilerConfig {
  std::string compiler;             // $BCD_CC, else "clang"
  std::vector<std::string> flags;   // optimisation, target and OpenMP flags
  std::string cache_dir;            // $BCD_CACHE_DIR, else ~/.cache/bcd/kernels
};

const CompilerConfig& compiler_config();

// Returns the path of a shared object built from `source`. Fails with the
// compiler's first error line when the source does not compile.
std::string compile_shared_object(const std::string& source);

}  // namespace bcd::runtime
