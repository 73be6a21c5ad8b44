// A whole network, compiled and ready to run: one kernel call per fused subgraph,
// in the subgraphs' topological order, over planned activation buffers.
//
// Building: the graph is cut into tasks (graph::extract_tasks); each task gets the
// program of its best record, or its default schedule (task_kernels.h); the
// subgraph outputs get buffers from the memory plan (memory_plan.h). Weights are
// not copied: the network keeps the graph's own constant arrays (generated once,
// shared), so its resident memory is the weights plus the planned activations;
// a weight whose kernel reads it in a rewritten layout (lower/layout_rewrite.h)
// is rewritten once, here, and the network keeps that copy instead.
//
// (Kernel argument order: executor/network_plan.h.)
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "executor/device_mirror.h"
#include "executor/memory_plan.h"
#include "executor/task_kernels.h"
#include "graph/graph.h"
#include "tuning/records.h"

namespace bcd::executor {

struct NetworkOptions {
  Target target = Target::cpu();
  int jobs = 0;  // parallel compiles; 0 = number of cores
  // cuda: the kernels captured once into a CUDA graph and replayed with one call
  // per run; false launches them one host call each.
  bool cuda_graph = true;
};

class Network {
 public:
  // Fails (one line) like build_task_kernels.
  static Network build(const graph::Graph& graph, const std::vector<tuning::Record>& records,
                       const NetworkOptions& options = {});

  // `inputs` in graph.inputs() order, shapes checked; returns the outputs in
  // graph.outputs() order. Not reentrant: runs share the planned buffers. On cuda
  // the inputs are uploaded, the kernels run on the GPU (as one CUDA graph unless
  // NetworkOptions::cuda_graph is false) and the outputs come back.
  std::vector<NDArray> run(const std::vector<const NDArray*>& inputs);
  // The same, with the seconds of each step (its input packs and its kernel) in
  // `step_seconds` (CPU only; on cuda launches are asynchronous and it stays empty).
  std::vector<NDArray> run(const std::vector<const NDArray*>& inputs, std::vector<double>* step_seconds);

  const TaskKernels& kernels() const { return kernels_; }
  const MemoryPlan& memory_plan() const { return plan_; }
  int num_steps() const { return static_cast<int>(steps_.size()); }
  // Subgraphs that run no kernel: concatenations their producers fill in place.
  // (The plan has a value per subgraph, a step per kernel call.)
  int concats_in_place() const { return static_cast<int>(plan_.values.size() - steps_.size()); }
  int step_task(int step) const { return steps_.at(step).task; }  // index into kernels().kernels
  int64_t weight_bytes() const { return weight_bytes_; }
  bool on_gpu() const { return mirror_ != nullptr; }
  bool uses_cuda_graph() const { return on_gpu() && cuda_graph_; }

  // cuda: the seconds the GPU spends on each of `repeat` runs of the kernels alone
  // (CUDA events around them; inputs and outputs stay on the device, holding what
  // the last run() left), after one warm-up run.
  std::vector<double> time_on_device(int repeat);

 private:
  // Where a kernel argument points.
  struct Arg {
    enum Kind : uint8_t { GraphInput, Fixed } kind = Fixed;
    int input_index = -1;     // GraphInput: position in graph.inputs()
    float* fixed = nullptr;   // Fixed: a constant or a planned buffer
  };
  // An input the kernel reads in a rewritten layout that is not a constant (those
  // are rewritten once, when the network is built): packed before every call.
  struct RunPack {
    int arg = -1;
    runtime::Kernel kernel;  // pack(original, rewritten)
    NDArray rewritten;
  };
  struct Step {
    int task = -1;
    int slice_writer = -1;    // TaskKernels::kernel's
    std::vector<Arg> args;    // the task DAG's inputs, then the output buffer
    std::vector<RunPack> packs;
  };
  // Where a graph output is read from after the last step.
  struct Output {
    std::vector<int64_t> shape;
    Arg source;
  };

  Network() = default;
  const float* resolve(const Arg& arg, const std::vector<const NDArray*>& inputs) const;
  void mirror_on_device();
  std::vector<NDArray> run_on_gpu(const std::vector<const NDArray*>& inputs);
  void enqueue_kernels() const;  // every step's launches on stream_
  void run_kernels_on_gpu();     // the graph, captured on first use, or enqueue_kernels()

  TaskKernels kernels_;
  MemoryPlan plan_;
  std::vector<Step> steps_;
  std::vector<Output> outputs_;
  std::vector<std::vector<int64_t>> input_shapes_;
  // Kept alive, never copied; a rewritten weight is a copy in its kernel's layout.
  std::vector<std::shared_ptr<const NDArray>> constants_;
  std::vector<NDArray> buffers_;                           // one per planned buffer
  NDArray scratch_;  // the kernels' heap buffers, a slice per core (empty: none)
  int64_t weight_bytes_ = 0;
  // cuda only: host stand-ins for the graph inputs (their addresses key the
  // mirror), and the device copies of every array.
  std::vector<NDArray> gpu_inputs_;
  std::unique_ptr<DeviceMirror> mirror_;
  bool cuda_graph_ = false;
  std::unique_ptr<runtime::CudaStream> stream_;
  std::unique_ptr<runtime::CudaGraph> graph_;  // after kernels_: released before their modules
};

}  // namespace bcd::executor
