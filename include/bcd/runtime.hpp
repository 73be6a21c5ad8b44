// A header-only C++ face for include/bcd/runtime.h: RAII, exceptions, std::span.
//
//   bcd::Model model("model.so");                    // throws bcd::RuntimeError
//   std::vector<float> out(model.output(0).size);
//   model.run({std::span<const float>(image)}, {std::span<float>(out)});
//
// Like the C API: one Model is one instance, not reentrant; several Models of one
// package may run in parallel threads.
#pragma once
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bcd/runtime.h"

namespace bcd {

class RuntimeError : public std::runtime_error {
 public:
  RuntimeError(bcd_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  bcd_status status() const { return status_; }

 private:
  bcd_status status_;
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  int64_t size = 0;  // elements (float32)
};

class Model {
 public:
  explicit Model(const std::string& path) { check(bcd_model_load(path.c_str(), &model_)); }
  Model(Model&& other) noexcept : model_(std::exchange(other.model_, nullptr)) {}
  Model& operator=(Model&& other) noexcept {
    std::swap(model_, other.model_);
    return *this;
  }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  ~Model() { bcd_model_free(model_); }

  int num_inputs() const { return bcd_model_num_inputs(model_); }
  int num_outputs() const { return bcd_model_num_outputs(model_); }
  TensorInfo input(int index) const { return info(index, bcd_model_input); }
  TensorInfo output(int index) const { return info(index, bcd_model_output); }
  std::string metadata() const { return bcd_model_metadata(model_); }
  // For the C functions (bcd_model_run on prepared pointer arrays, without checks).
  bcd_model* handle() { return model_; }

  // One span per input and per output, in order; each must hold exactly the
  // tensor's number of elements.
  void run(std::span<const std::span<const float>> inputs, std::span<const std::span<float>> outputs) {
    run(inputs, outputs, nullptr);
  }
  void run(std::initializer_list<std::span<const float>> inputs, std::initializer_list<std::span<float>> outputs) {
    run(std::span<const std::span<const float>>(inputs.begin(), inputs.size()),
        std::span<const std::span<float>>(outputs.begin(), outputs.size()));
  }

  // The network's steps (kernels in execution order) and a run that returns each
  // one's time in seconds.
  int num_steps() const { return bcd_model_num_steps(model_); }
  std::vector<double> run_profiled(std::span<const std::span<const float>> inputs,
                                   std::span<const std::span<float>> outputs) {
    std::vector<double> seconds(static_cast<size_t>(num_steps()));
    run(inputs, outputs, seconds.data());
    return seconds;
  }
  std::vector<double> run_profiled(std::initializer_list<std::span<const float>> inputs,
                                   std::initializer_list<std::span<float>> outputs) {
    return run_profiled(std::span<const std::span<const float>>(inputs.begin(), inputs.size()),
                        std::span<const std::span<float>>(outputs.begin(), outputs.size()));
  }

 private:
  void run(std::span<const std::span<const float>> inputs, std::span<const std::span<float>> outputs,
           double* step_seconds) {
    if (inputs.size() != static_cast<size_t>(num_inputs()) || outputs.size() != static_cast<size_t>(num_outputs()))
      throw RuntimeError(BCD_ERROR_INVALID_ARGUMENT, "run: the model takes " + std::to_string(num_inputs()) +
                                                         " inputs and " + std::to_string(num_outputs()) + " outputs");
    std::vector<const float*> in;
    std::vector<float*> out;
    for (size_t i = 0; i < inputs.size(); ++i) {
      check_size(input(static_cast<int>(i)), inputs[i].size());
      in.push_back(inputs[i].data());
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      check_size(output(static_cast<int>(i)), outputs[i].size());
      out.push_back(outputs[i].data());
    }
    check(bcd_model_run_profiled(model_, in.data(), out.data(), step_seconds));
  }
  static void check(bcd_status status) {
    if (status != BCD_OK) throw RuntimeError(status, bcd_last_error());
  }
  static void check_size(const TensorInfo& t, size_t given) {
    if (static_cast<int64_t>(given) != t.size)
      throw RuntimeError(BCD_ERROR_INVALID_ARGUMENT, "run: '" + t.name + "' needs " + std::to_string(t.size) +
                                                         " floats, the span holds " + std::to_string(given));
  }
  TensorInfo info(int index, bcd_status (*get)(const bcd_model*, int, bcd_tensor_info*)) const {
    bcd_tensor_info c{};
    check(get(model_, index, &c));
    return {c.name, std::vector<int64_t>(c.shape, c.shape + c.ndim), c.size};
  }

  bcd_model* model_ = nullptr;
};

}  // namespace bcd
