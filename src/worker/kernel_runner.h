// The worker's side of one measurement: load the kernel, optionally verify its
// outputs, time it (CUDA candidates go to CudaRunner). Everything a request can get wrong becomes an error Reply;
// only a crash or a hang escapes, and the parent observes those from outside.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/module.h"
#include "runtime/worker_protocol.h"
#include "worker/cuda_runner.h"

namespace bcd::worker {

class KernelRunner {
 public:
  explicit KernelRunner(runtime::worker::Data data);
  runtime::worker::Reply handle(const runtime::worker::Request& request);

 private:
  std::vector<double> time(const runtime::Kernel& kernel, const runtime::worker::Request& request);
  void flush_cache();
  void evict_activations(const std::vector<int>& weight_inputs);

  runtime::worker::Data data_;
  std::vector<NDArray> pristine_inputs_;  // restored before a verified run
  std::vector<NDArray> outputs_;
  std::vector<float*> args_;  // inputs then outputs
  // Libraries stay loaded for the worker's life: unloading a kernel could unload
  // the OpenMP runtime under its own idle threads.
  std::map<std::string, runtime::Module> modules_;
  std::vector<char> flush_buffer_;
  std::unique_ptr<CudaRunner> cuda_;  // when the data asks for the GPU
};

}  // namespace bcd::worker
