// Compiling generated C source into a shared object with the system C compiler.
// The flags live here and only here; they were chosen by measurement (see the
// comment in compiler.cpp). Results are cached on disk by a hash of source + flags,
// so the same program is never compiled twice, across processes too.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "support/error.h"

namespace bcd::runtime {

struct CompilerConfig {
  std::string compiler;             // $BCD_CC, else clang-19 when on PATH, else clang
  std::vector<std::string> flags;   // optimisation, target and OpenMP flags
  std::string cache_dir;            // $BCD_CACHE_DIR, else ~/.cache/bcd/kernels
};

const CompilerConfig& compiler_config();

// The on-disk kernel cache shared by every back end. `key_material` is everything
// the artefact depends on (compiler, flags, source); its hash names the file
// `<cache_dir>/<hash><extension>`. On a miss, `build(tmp_base)` must write the
// artefact to `tmp_base + extension` (other files it makes under tmp_base are its
// own to remove); the result is then renamed into place atomically, so concurrent
// builders, threads or processes, never see a partial file. Returns the path.
std::string cached_artifact(const std::string& key_material, const std::string& extension,
                            const std::function<void(const std::string& tmp_base)>& build);

// Removes the temporaries (".<hash>-<pid>-<n>.*") that processes no longer alive
// left in `cache_dir` (a bcd killed while compiling cannot remove its own); returns
// how many. cached_artifact calls it once per process. Pids are those of this
// machine's process namespace: a cache directory shared across machines or
// containers is not supported.
int remove_orphaned_temporaries(const std::string& cache_dir);

// A compile killed at its deadline.
class CompileTimeout : public Error {
 public:
  using Error::Error;
};

// The deadline of a compile that names none: $BCD_COMPILE_TIMEOUT seconds, else
// 600. Outside tuning (bcd op, reference programs) a pathological recorded schedule
// (an unroll of 10^8 statements) would otherwise compile for ever.
double default_compile_timeout();

// Returns the path of a shared object built from `source`. Fails with the
// compiler's first error line when the source does not compile, and with
// CompileTimeout when the compiler runs longer than `timeout_seconds` (0: the
// default deadline; the compiler is killed, so a pathological program costs at
// most that long).
std::string compile_shared_object(const std::string& source, double timeout_seconds = 0);

// The same, compiled to a relocatable object (the kernel flags with -c for
// -shared), for linking several kernels into one library.
std::string compile_object(const std::string& source, double timeout_seconds = 0);

// Links `inputs` (objects, or sources the driver compiles with `flags`) into the
// shared library `output`, with the OpenMP runtime and libm. Fails with the
// linker's first error line.
void link_shared_library(const std::vector<std::string>& inputs, const std::string& output,
                         const std::vector<std::string>& flags = {}, double timeout_seconds = 300);

// The CPU that the compiler's -march=native resolves to on this machine
// ("sapphirerapids"), asked once per process; "" when the compiler cannot tell.
std::string host_cpu_name();

// The instruction-set features (LLVM names: "avx512f", "fma") that -march=native
// enables on this machine, asked once per process; empty when the compiler cannot tell.
std::vector<std::string> host_cpu_features();

}  // namespace bcd::runtime
