// The launch plan of a generated CUDA program. codegen_cuda writes it as comment
// lines at the top of the source, so the source alone says how to run itself:
//   // bcd-launch <func> <kernel> <gx> <gy> <gz> <bx> <by> <bz>   one per launch, in order
//   // bcd-buffer <func> <name> <number of floats>                 global intermediates
// Every kernel takes the function's parameters (inputs then outputs, float*)
// followed by the intermediate buffers in header order.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bcd::runtime {

struct CudaLaunch {
  std::string kernel;  // an extern "C" __global__ function of the module
  std::array<unsigned, 3> grid{1, 1, 1}, block{1, 1, 1};
  bool operator==(const CudaLaunch&) const = default;
};

struct CudaProgram {
  std::vector<CudaLaunch> launches;
  std::vector<std::pair<std::string, int64_t>> buffers;  // name, number of floats
  bool operator==(const CudaProgram&) const = default;
};

// Reads the launch plan of function `func` from `source`. Lines of other functions
// are skipped (a source may hold several). Fails with a one-line error when the
// header is missing or malformed.
CudaProgram parse_cuda_program(const std::string& source, const std::string& func);

}  // namespace bcd::runtime
