#include "runtime/cuda_kernel.h"

#include "support/error.h"

namespace bcd::runtime {

CudaKernel::CudaKernel(const std::string& module_path, CudaProgram program)
    : module_(module_path), program_(std::move(program)) {
  if (program_.launches.empty()) fail("CUDA program {} has no launches", module_path);
  for (const CudaLaunch& l : program_.launches) functions_.push_back(module_.function(l.kernel));
  for (const auto& [name, floats] : program_.buffers)
    intermediates_.emplace_back(static_cast<size_t>(floats) * sizeof(float));
}

void CudaKernel::launch(const std::vector<CudaDevicePtr>& params, const CudaStream* stream) const {
  // cuLaunchKernel takes a pointer to each argument's value.
  std::vector<CudaDevicePtr> values = params;
  for (const DeviceBuffer& b : intermediates_) values.push_back(b.ptr());
  std::vector<void*> args;
  for (CudaDevicePtr& v : values) args.push_back(&v);
  for (size_t i = 0; i < functions_.size(); ++i)
    launch_kernel(functions_[i], program_.launches[i].grid, program_.launches[i].block, args.data(), stream);
}

void CudaKernel::run(const std::vector<const NDArray*>& inputs, const std::vector<NDArray*>& outputs) const {
  std::vector<DeviceBuffer> buffers;
  std::vector<CudaDevicePtr> params;
  for (const NDArray* a : inputs) {
    buffers.emplace_back(static_cast<size_t>(a->size()) * sizeof(float));
    buffers.back().upload(a->data());
    params.push_back(buffers.back().ptr());
  }
  for (NDArray* a : outputs) {
    buffers.emplace_back(static_cast<size_t>(a->size()) * sizeof(float));
    params.push_back(buffers.back().ptr());
  }
  launch(params);
  // The synchronous copy waits for the launches and reports their faults.
  for (size_t j = 0; j < outputs.size(); ++j) buffers[inputs.size() + j].download(outputs[j]->data());
}

}  // namespace bcd::runtime
