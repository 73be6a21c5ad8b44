// Compiling generated CUDA C++ with NVRTC (the runtime compiler of the CUDA
// toolkit). NVRTC needs no GPU and no driver, so kernels compile on any machine
// built with the toolkit; running them is the CUDA module's business.
#pragma once
#include <string>

namespace bcd::runtime {

// True when bcd was built with NVRTC (the CUDA toolkit was found at configure time).
bool nvrtc_available();

// Compiles CUDA C++ source with NVRTC for `arch`: a virtual architecture
// ("compute_80") gives PTX, a real one ("sm_90") gives a cubin. Returns the path of
// the result in the on-disk kernel cache (the same cache directory as
// compile_shared_object in runtime/compiler.h, keyed by a hash of source + options),
// so the same program is never compiled twice. Thread-safe. Fails (bcd::Error) with
// NVRTC's first error line; built without CUDA, fails saying so.
std::string compile_cuda(const std::string& source, const std::string& arch);

}  // namespace bcd::runtime
