// Runs generated CUDA source on the CPU, for testing the CUDA generator where there
// is no GPU: the source is compiled as C++ with CUDA's keywords defined away, each
// thread of a block is an OS thread, __syncthreads is a std::barrier over the
// block, and __shared__ arrays are static (blocks run one after another). Launches
// and intermediate buffers come from the source's bcd-launch / bcd-buffer header,
// parsed as the CUDA runtime parses it. Slow; for small programs only.
#pragma once
#include <string>
#include <vector>

namespace bcd::testutil {

// Runs every launch of `func` in order with `args` (its params: inputs then
// outputs), allocating and zero-filling its intermediate buffers.
void run_cuda_on_host(const std::string& cuda_source, const std::string& func, const std::vector<float*>& args);

}  // namespace bcd::testutil
