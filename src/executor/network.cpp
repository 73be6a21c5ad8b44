#include "executor/network.h"

#include <algorithm>
#include <cstring>

#include "graph/tasks.h"
#include "search/target.h"
#include "support/error.h"

namespace bcd::executor {

Network Network::build(const graph::Graph& graph, const std::vector<tuning::Record>& records,
                       const NetworkOptions& options) {
  Network net;
  graph::TaskSet set = graph::extract_tasks(graph);
  net.kernels_ = build_task_kernels(set.tasks, records, {.target = options.target, .jobs = options.jobs});

  const int num_steps = static_cast<int>(set.subgraphs.size());
  // Values: one per subgraph (its output), live from its step to its last reader.
  // Graph outputs stay live past the last step, until run() copies them out.
  std::vector<int> node_value(graph.size(), -1);
  std::vector<ValueLifetime> values(num_steps);
  for (int i = 0; i < num_steps; ++i) {
    const graph::Node& out = graph.node(set.subgraphs[i].output);
    node_value[out.id] = i;
    values[i] = {.bytes = shape_size(out.shape) * static_cast<int64_t>(sizeof(float)), .def = i, .last_use = i};
  }
  for (int i = 0; i < num_steps; ++i)
    for (int n : set.subgraphs[i].inputs)
      if (node_value[n] >= 0) values[node_value[n]].last_use = std::max(values[node_value[n]].last_use, i);
  for (int n : graph.outputs())
    if (node_value[n] >= 0) values[node_value[n]].last_use = num_steps;
  net.plan_ = plan_memory(values);
  for (int64_t bytes : net.plan_.buffer_bytes)
    net.buffers_.emplace_back(std::vector<int64_t>{(bytes + 3) / 4});

  std::vector<int> input_position(graph.size(), -1);
  for (size_t i = 0; i < graph.inputs().size(); ++i) {
    input_position[graph.inputs()[i]] = static_cast<int>(i);
    net.input_shapes_.push_back(graph.node(graph.inputs()[i]).shape);
  }
  std::vector<const float*> constant_data(graph.size(), nullptr);
  auto arg_of = [&](int node) -> Arg {
    const graph::Node& n = graph.node(node);
    if (n.op == graph::OpType::Input) return {.kind = Arg::GraphInput, .input_index = input_position[node]};
    if (n.op == graph::OpType::Constant) {
      if (!constant_data[node]) {
        net.constants_.push_back(graph.constant_value(node));
        net.weight_bytes_ += net.constants_.back()->size() * static_cast<int64_t>(sizeof(float));
        constant_data[node] = net.constants_.back()->data();
      }
      // Kernels never write their inputs.
      return {.kind = Arg::Fixed, .fixed = const_cast<float*>(constant_data[node])};
    }
    BCD_CHECK(node_value[node] >= 0, "node {} is read before any subgraph computes it", n.name);
    return {.kind = Arg::Fixed, .fixed = net.buffers_[net.plan_.value_buffer[node_value[node]]].data()};
  };

  for (int i = 0; i < num_steps; ++i) {
    const graph::Subgraph& sg = set.subgraphs[i];
    const ir::ComputeDAG& dag = *set.tasks[set.subgraph_task[i]].dag;
    BCD_CHECK(dag.inputs().size() == sg.inputs.size() && dag.outputs().size() == 1,
              "subgraph {} does not match the arguments of its task", i);
    Step step{.task = set.subgraph_task[i]};
    const std::vector<TaskKernel::Pack>& packs = net.kernels_.kernels[step.task].packs;
    for (size_t a = 0; a < sg.inputs.size(); ++a) {
      BCD_CHECK(dag.inputs()[a]->shape == graph.node(sg.inputs[a]).shape, "argument {} of subgraph {} has shape {}",
                a, i, shape_string(graph.node(sg.inputs[a]).shape));
      auto pack =
          std::find_if(packs.begin(), packs.end(), [&](const auto& p) { return p.input == static_cast<int>(a); });
      int node = sg.inputs[a];
      if (pack == packs.end()) {
        step.args.push_back(arg_of(node));
      } else if (graph.node(node).op == graph::OpType::Constant) {
        std::shared_ptr<const NDArray> weight = graph.constant_value(node);
        auto rewritten = std::make_shared<NDArray>(weight->shape());
        // Packs never write their inputs.
        pack->kernel.run(std::vector<float*>{const_cast<float*>(weight->data()), rewritten->data()});
        net.constants_.push_back(rewritten);
        net.weight_bytes_ += rewritten->size() * static_cast<int64_t>(sizeof(float));
        step.args.push_back({.kind = Arg::Fixed, .fixed = rewritten->data()});
      } else {
        step.args.push_back(arg_of(node));
        step.packs.push_back({.arg = static_cast<int>(a), .kernel = pack->kernel,
                              .rewritten = NDArray(graph.node(node).shape)});
      }
    }
    BCD_CHECK(shape_size(dag.outputs()[0]->shape) == shape_size(graph.node(sg.output).shape),
              "output of subgraph {} does not match its task", i);
    step.args.push_back(arg_of(sg.output));
    net.steps_.push_back(std::move(step));
  }
  for (int n : graph.outputs()) net.outputs_.push_back({.shape = graph.node(n).shape, .source = arg_of(n)});
  if (options.target.is_gpu()) net.mirror_on_device();
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
}

std::vector<NDArray> Network::run_on_gpu(const std::vector<const NDArray*>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) mirror_->upload(gpu_inputs_[i].data(), *inputs[i]);
  std::vector<const NDArray*> stand_ins;
  for (const NDArray& a : gpu_inputs_) stand_ins.push_back(&a);
  std::vector<runtime::CudaDevicePtr> params;
  for (const Step& step : steps_) {
    params.clear();
    for (const Arg& a : step.args) params.push_back(mirror_->device(resolve(a, stand_ins)));
    kernels_.kernels[step.task].cuda_kernel->launch(params);
  }
  // The synchronous downloads wait for the kernels and report their faults.
  std::vector<NDArray> outputs;
  for (const Output& o : outputs_) mirror_->download(resolve(o.source, stand_ins), outputs.emplace_back(o.shape));
  return outputs;
}

const float* Network::resolve(const Arg& arg, const std::vector<const NDArray*>& inputs) const {
  return arg.kind == Arg::GraphInput ? inputs[arg.input_index]->data() : arg.fixed;
}

std::vector<NDArray> Network::run(const std::vector<const NDArray*>& inputs) {
  if (inputs.size() != input_shapes_.size())
    fail("{} inputs given, the network takes {}", inputs.size(), input_shapes_.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i]->shape() != input_shapes_[i])
      fail("input {} has shape {}, expected {}", i, shape_string(inputs[i]->shape()), shape_string(input_shapes_[i]));
  if (mirror_) return run_on_gpu(inputs);
  std::vector<float*> args;
  for (Step& step : steps_) {
    args.clear();
    for (const Arg& a : step.args) args.push_back(const_cast<float*>(resolve(a, inputs)));
    for (RunPack& p : step.packs) {
      p.kernel.run(std::vector<float*>{args[p.arg], p.rewritten.data()});
      args[p.arg] = p.rewritten.data();
    }
    kernels_.kernels[step.task].kernel.run(args);
  }
  std::vector<NDArray> outputs;
  for (const Output& o : outputs_) {
    NDArray& out = outputs.emplace_back(o.shape);
    std::memcpy(out.data(), resolve(o.source, inputs), out.size() * sizeof(float));
  }
  return outputs;
}

}  // namespace bcd::executor
