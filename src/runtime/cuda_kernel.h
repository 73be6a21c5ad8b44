// A compiled CUDA program ready to run on the current context: its module loaded
// once, the kernels of its launches resolved, its intermediate buffers allocated.
// The one launch path for everything that runs generated CUDA code: the
// measurement worker and whole-network execution.
#pragma once
#include <string>
#include <vector>

#include "runtime/cuda_driver.h"
#include "runtime/cuda_launch.h"
#include "support/ndarray.h"

namespace bcd::runtime {

class CudaKernel {
 public:
  // Loads `module_path` (PTX or cubin from compile_cuda) into the current context.
  // Fails if a launch names a kernel the module lacks.
  CudaKernel(const std::string& module_path, CudaProgram program);

  const CudaProgram& program() const { return program_; }

  // Enqueues the program's launches in order on `stream` (the default stream when
  // null); returns at once. `params` are device pointers to the function's
  // parameters, inputs then outputs. A bad launch configuration fails here; a
  // kernel's fault shows at the next synchronisation.
  void launch(const std::vector<CudaDevicePtr>& params, const CudaStream* stream = nullptr) const;

  // One synchronous call on host arrays (inputs then outputs), through temporary
  // device buffers: convenient, not fast.
  void run(const std::vector<const NDArray*>& inputs, const std::vector<NDArray*>& outputs) const;

 private:
  CudaModule module_;
  CudaProgram program_;
  std::vector<CUfunc_st*> functions_;  // one per launch
  std::vector<DeviceBuffer> intermediates_;
};

}  // namespace bcd::runtime
