#include "executor/network.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "executor/network_plan.h"
#include "search/target.h"
#include "support/error.h"

namespace bcd::executor {

Network Network::build(const graph::Graph& graph, const std::vector<tuning::Record>& records,
                       const NetworkOptions& options) {
  Network net;
  NetworkPlan plan = plan_network(graph, {.concat_in_place = !options.target.is_gpu()});
  net.kernels_ = build_task_kernels(plan.tasks.tasks, records, {.target = options.target, .jobs = options.jobs},
                                    plan.slice_writers);
  // The kernels' heap buffers in one scratch, as in a compiled package: a run
  // allocates nothing (codegen/kernel_scratch.h).
  const int64_t threads = std::max(1u, std::thread::hardware_concurrency());
  int64_t scratch_bytes = 0;
  for (const auto* list : {&net.kernels_.kernels, &net.kernels_.slice_writers})
    for (const TaskKernel& k : *list) scratch_bytes = std::max(scratch_bytes, k.scratch.bytes(threads));
  if (scratch_bytes > 0) net.scratch_ = NDArray(std::vector<int64_t>{(scratch_bytes + 3) / 4});
  net.plan_ = plan.memory;
  for (int64_t bytes : net.plan_.buffer_bytes)
    net.buffers_.emplace_back(std::vector<int64_t>{(bytes + 3) / 4});
  for (int id : plan.input_nodes) net.input_shapes_.push_back(graph.node(id).shape);

  std::vector<const float*> constant_data(graph.size(), nullptr);
  auto resolve_plan = [&](const PlanArg& a) -> Arg {
    switch (a.kind) {
      case PlanArg::GraphInput:
        return {.kind = Arg::GraphInput, .input_index = a.index};
      case PlanArg::Constant:
        if (!constant_data[a.index]) {
          net.constants_.push_back(graph.constant_value(a.index));
          net.weight_bytes_ += net.constants_.back()->size() * static_cast<int64_t>(sizeof(float));
          constant_data[a.index] = net.constants_.back()->data();
        }
        // Kernels never write their inputs.
        return {.kind = Arg::Fixed, .fixed = const_cast<float*>(constant_data[a.index])};
      case PlanArg::Value:
        break;
    }
    return {.kind = Arg::Fixed,
            .fixed = net.buffers_[net.plan_.value_buffer[a.index]].data() +
                     net.plan_.value_offset[a.index] / static_cast<int64_t>(sizeof(float))};
  };

  for (const PlanStep& planned : plan.steps) {
    Step step{.task = planned.task, .slice_writer = planned.slice_writer};
    const std::vector<TaskKernel::Pack>& packs = net.kernels_.kernel(step.task, step.slice_writer).packs;
    for (size_t a = 0; a + 1 < planned.args.size(); ++a) {
      const PlanArg& arg = planned.args[a];
      auto pack =
          std::find_if(packs.begin(), packs.end(), [&](const auto& p) { return p.input == static_cast<int>(a); });
      if (pack == packs.end()) {
        step.args.push_back(resolve_plan(arg));
      } else if (arg.kind == PlanArg::Constant) {
        std::shared_ptr<const NDArray> weight = graph.constant_value(arg.index);
        auto rewritten = std::make_shared<NDArray>(weight->shape());
        // Packs never write their inputs.
        pack->kernel.run(std::vector<float*>{const_cast<float*>(weight->data()), rewritten->data()});
        net.constants_.push_back(rewritten);
        net.weight_bytes_ += rewritten->size() * static_cast<int64_t>(sizeof(float));
        step.args.push_back({.kind = Arg::Fixed, .fixed = rewritten->data()});
      } else {
        step.args.push_back(resolve_plan(arg));
        step.packs.push_back({.arg = static_cast<int>(a), .kernel = pack->kernel,
                              .rewritten = NDArray(arg.shape)});
      }
    }
    step.args.push_back(resolve_plan(planned.args.back()));
    net.steps_.push_back(std::move(step));
  }
  for (size_t i = 0; i < plan.outputs.size(); ++i)
    net.outputs_.push_back({.shape = graph.node(graph.outputs()[i]).shape, .source = resolve_plan(plan.outputs[i])});
  if (options.target.is_gpu()) {
    net.cuda_graph_ = options.cuda_graph;
    net.mirror_on_device();
  }
  return net;
}

void Network::mirror_on_device() {
  mirror_ = std::make_unique<DeviceMirror>();
  for (const auto& c : constants_) mirror_->add(c->data(), c->size(), true);
  for (const NDArray& b : buffers_) mirror_->add(b.data(), b.size(), false);
  for (const auto& shape : input_shapes_) {
    gpu_inputs_.emplace_back(shape);
    mirror_->add(gpu_inputs_.back().data(), gpu_inputs_.back().size(), false);
  }
  stream_ = std::make_unique<runtime::CudaStream>();
}

void Network::enqueue_kernels() const {
  // The kernels' arguments are fixed device addresses (the graph inputs' too: they
  // are uploaded into the stand-ins' device copies), so a capture stays valid.
  std::vector<const NDArray*> stand_ins;
  for (const NDArray& a : gpu_inputs_) stand_ins.push_back(&a);
  std::vector<runtime::CudaDevicePtr> params;
  for (const Step& step : steps_) {
    params.clear();
    for (const Arg& a : step.args) params.push_back(mirror_->device(resolve(a, stand_ins)));
    kernels_.kernel(step.task, step.slice_writer).cuda_kernel->launch(params, stream_.get());
  }
}

void Network::run_kernels_on_gpu() {
  if (!cuda_graph_) return enqueue_kernels();
  if (!graph_) graph_ = std::make_unique<runtime::CudaGraph>(*stream_, [&] { enqueue_kernels(); });
  graph_->launch(*stream_);
}

std::vector<double> Network::time_on_device(int repeat) {
  BCD_CHECK(on_gpu(), "device time asked of a network on the CPU");
  run_kernels_on_gpu();  // warm-up, and the graph's capture
  runtime::CudaEvent start, end;
  std::vector<double> seconds;
  for (int r = 0; r < repeat; ++r) {
    start.record(stream_.get());
    run_kernels_on_gpu();
    end.record(stream_.get());
    end.synchronize();
    seconds.push_back(runtime::CudaEvent::elapsed_ms(start, end) * 1e-3);
  }
  return seconds;
}

std::vector<NDArray> Network::run_on_gpu(const std::vector<const NDArray*>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) mirror_->upload(gpu_inputs_[i].data(), *inputs[i], *stream_);
  run_kernels_on_gpu();
  std::vector<const NDArray*> stand_ins;
  for (const NDArray& a : gpu_inputs_) stand_ins.push_back(&a);
  std::vector<NDArray> outputs;
  for (const Output& o : outputs_)
    mirror_->download(resolve(o.source, stand_ins), outputs.emplace_back(o.shape), *stream_);
  stream_->synchronize();  // the downloads are complete; a kernel's fault shows here
  return outputs;
}

const float* Network::resolve(const Arg& arg, const std::vector<const NDArray*>& inputs) const {
  return arg.kind == Arg::GraphInput ? inputs[arg.input_index]->data() : arg.fixed;
}

std::vector<NDArray> Network::run(const std::vector<const NDArray*>& inputs) { return run(inputs, nullptr); }

std::vector<NDArray> Network::run(const std::vector<const NDArray*>& inputs, std::vector<double>* step_seconds) {
  if (step_seconds) step_seconds->clear();
  if (inputs.size() != input_shapes_.size())
    fail("{} inputs given, the network takes {}", inputs.size(), input_shapes_.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i]->shape() != input_shapes_[i])
      fail("input {} has shape {}, expected {}", i, shape_string(inputs[i]->shape()), shape_string(input_shapes_[i]));
  if (mirror_) return run_on_gpu(inputs);
  std::vector<float*> args;
  for (Step& step : steps_) {
    const auto start = step_seconds ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    args.clear();
    for (const Arg& a : step.args) args.push_back(const_cast<float*>(resolve(a, inputs)));
    for (RunPack& p : step.packs) {
      p.kernel.run(std::vector<float*>{args[p.arg], p.rewritten.data()});
      args[p.arg] = p.rewritten.data();
    }
    const TaskKernel& k = kernels_.kernel(step.task, step.slice_writer);
    if (k.scratch.empty()) {
      k.kernel.run(args);
    } else {
      k.kernel.run(args, scratch_.data(), k.scratch.slices(scratch_.size() * static_cast<int64_t>(sizeof(float))));
    }
    if (step_seconds)
      step_seconds->push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::vector<NDArray> outputs;
  for (const Output& o : outputs_) {
    NDArray& out = outputs.emplace_back(o.shape);
    std::memcpy(out.data(), resolve(o.source, inputs), out.size() * sizeof(float));
  }
  return outputs;
}

}  // namespace bcd::executor
