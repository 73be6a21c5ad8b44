// bcd's Python module (`bcd._bcd`, wrapped by python/bcd/__init__.py): compiled
// packages loaded through the bcd runtime and run on NumPy arrays, and the library
// entry points for tuning (api/tune.h) and compiling (api/compile.h). Every bcd
// failure is a bcd.Error carrying bcd's one-line message.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "api/compile.h"
#include "api/tune.h"
#include "bcd/runtime.hpp"
#include "frontends/zoo.h"
#include "support/error.h"
#include "support/version.h"

namespace py = pybind11;

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// One instance of a package. run() takes and returns NumPy arrays: a float32
// C-contiguous input is read in place (others are converted once), and the outputs
// are written straight into the arrays returned.
class PyModel {
 public:
  explicit PyModel(const std::string& path) : model_(path) {
    for (int i = 0; i < model_.num_inputs(); ++i) inputs_.push_back(model_.input(i));
    for (int i = 0; i < model_.num_outputs(); ++i) outputs_.push_back(model_.output(i));
  }

  py::dict run(const py::args& args, const py::kwargs& kwargs) { return run_timed(args, kwargs, nullptr); }

  // The outputs, and each step's task and time in seconds (the C API's profiled run).
  py::tuple run_profiled(const py::args& args, const py::kwargs& kwargs) {
    std::vector<double> seconds(static_cast<size_t>(model_.num_steps()));
    py::dict outputs = run_timed(args, kwargs, seconds.data());
    const nlohmann::json meta = nlohmann::json::parse(model_.metadata());
    py::list steps;
    for (size_t s = 0; s < seconds.size(); ++s)
      steps.append(py::make_tuple(meta.at("step_tasks").at(s).at("task").get<std::string>(), seconds[s]));
    return py::make_tuple(outputs, steps);
  }

  std::vector<std::pair<std::string, std::vector<int64_t>>> tensors(bool input) const {
    std::vector<std::pair<std::string, std::vector<int64_t>>> out;
    for (const auto& t : input ? inputs_ : outputs_) out.emplace_back(t.name, t.shape);
    return out;
  }
  std::string metadata() const { return model_.metadata(); }

 private:
  py::dict run_timed(const py::args& args, const py::kwargs& kwargs, double* step_seconds) {
    if (args.size() + kwargs.size() != inputs_.size())
      throw bcd::Error(fmt::format("run takes {} inputs ({}), {} given", inputs_.size(), names(inputs_),
                                   args.size() + kwargs.size()));
    std::vector<FloatArray> arrays(inputs_.size());
    std::vector<bool> given(inputs_.size(), false);
    for (size_t i = 0; i < args.size(); ++i) arrays[i] = FloatArray::ensure(args[i]), given[i] = true;
    for (const auto& [key, value] : kwargs) {
      const std::string name = py::str(key);
      size_t i = 0;
      while (i < inputs_.size() && inputs_[i].name != name) ++i;
      if (i == inputs_.size()) throw bcd::Error(fmt::format("'{}' is not an input (inputs: {})", name, names(inputs_)));
      if (given[i]) throw bcd::Error(fmt::format("input '{}' given twice", name));
      arrays[i] = FloatArray::ensure(value);
      given[i] = true;
    }
    std::vector<const float*> in;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (!arrays[i]) throw bcd::Error(fmt::format("input '{}' is not a float array", inputs_[i].name));
      std::vector<int64_t> shape(arrays[i].shape(), arrays[i].shape() + arrays[i].ndim());
      if (shape != inputs_[i].shape)
        throw bcd::Error(fmt::format("input '{}' has shape {}, the array holds {}", inputs_[i].name,
                                     shape_text(inputs_[i].shape), shape_text(shape)));
      in.push_back(arrays[i].data());
    }
    std::vector<FloatArray> results;
    std::vector<float*> out;
    for (const bcd::TensorInfo& t : outputs_) {
      results.emplace_back(std::vector<py::ssize_t>(t.shape.begin(), t.shape.end()));
      out.push_back(results.back().mutable_data());
    }
    bcd_status status;
    {
      py::gil_scoped_release release;
      status = bcd_model_run_profiled(model_.handle(), in.data(), out.data(), step_seconds);
    }
    if (status != BCD_OK) throw bcd::Error(bcd_last_error());
    py::dict d;
    for (size_t i = 0; i < outputs_.size(); ++i) d[py::str(outputs_[i].name)] = results[i];
    return d;
  }

  static std::string names(const std::vector<bcd::TensorInfo>& ts) {
    std::string s;
    for (const auto& t : ts) s += (s.empty() ? "" : ", ") + t.name;
    return s;
  }
  static std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
  }

  bcd::Model model_;
  std::vector<bcd::TensorInfo> inputs_, outputs_;
};

// A value or None.
py::object optional_to_python(const std::optional<double>& v) { return v ? py::cast(*v) : py::none(); }

// Tuning progress to a Python callable: one dict per measured round, on the
// calling thread (which holds no GIL while bcd tunes).
class PyObserver : public bcd::api::TuneObserver {
 public:
  explicit PyObserver(py::object callback) : callback_(std::move(callback)) {}
  void on_round(const bcd::tuning::TaskScheduler&, const bcd::tuning::SchedulerRound& r) override {
    py::gil_scoped_acquire gil;
    py::dict d;
    d["round"] = r.round;
    d["task"] = r.task;
    d["measured"] = r.measured;
    d["errors"] = r.errors;
    d["trials"] = r.total_trials;
    d["elapsed_seconds"] = r.elapsed_seconds;
    d["estimated_latency_seconds"] = optional_to_python(r.estimated_latency_seconds);
    callback_(d);
  }
  void on_message(const std::string& m) override { call_text("message", m); }
  void on_warning(const std::string& m) override { call_text("warning", m); }

 private:
  void call_text(const char* kind, const std::string& text) {
    py::gil_scoped_acquire gil;
    py::dict d;
    d[kind] = text;
    callback_(d);
  }
  py::object callback_;
};

// The zoo's size options, as keyword arguments of tune and compile.
struct ZooSizes {
  int64_t image_size = 0;
  int bert_layers = 0;
  int64_t bert_seq_len = 0;
};

bcd::api::ModelSpec model_spec(const std::string& model, const ZooSizes& sizes,
                               const std::map<std::string, std::vector<int64_t>>& input_shapes) {
  bcd::api::ModelSpec spec;
  spec.model = model;
  spec.zoo.image_size = sizes.image_size;
  spec.zoo.bert_layers = sizes.bert_layers;
  spec.zoo.bert_seq_len = sizes.bert_seq_len;
  for (const auto& [name, shape] : input_shapes) spec.input_shapes[name] = shape;
  return spec;
}

py::dict tune(const std::string& model, const std::string& strategy, int num_trials, const std::string& log_dir,
              const std::string& target, int num_measures_per_round, uint64_t seed, bool resume, int64_t image_size,
              int bert_layers, int64_t bert_seq_len, const std::map<std::string, std::vector<int64_t>>& input_shapes,
              double time_limit, const py::object& progress) {
  bcd::api::TuneConfig c;
  c.model = model_spec(model, {image_size, bert_layers, bert_seq_len}, input_shapes);
  c.strategy = strategy;
  c.num_trials = num_trials;
  c.log_dir = log_dir;
  c.target = target;
  c.num_measures_per_round = num_measures_per_round;
  c.seed = seed;
  c.resume = resume;
  c.time_limit = time_limit;
  std::optional<PyObserver> observer;
  if (!progress.is_none()) observer.emplace(progress);
  bcd::api::TuneResult r;
  {
    py::gil_scoped_release release;
    r = bcd::api::tune_network(c, observer ? &*observer : nullptr);
  }
  py::dict d;
  d["run_dir"] = r.run_dir;
  d["records"] = r.records;
  d["trials"] = r.trials;
  d["measured_now"] = r.measured_now;
  d["elapsed_seconds"] = r.elapsed_seconds;
  d["estimated_latency_seconds"] = optional_to_python(r.estimated_latency_seconds);
  return d;
}

py::dict compile(const std::string& model, const std::string& records, const std::string& output,
                 const std::string& target, int64_t image_size, int bert_layers, int64_t bert_seq_len,
                 const std::map<std::string, std::vector<int64_t>>& input_shapes) {
  bcd::api::CompileConfig c;
  c.model = model_spec(model, {image_size, bert_layers, bert_seq_len}, input_shapes);
  c.records = records;
  c.output = output;
  c.target = target;
  bcd::package::PackageSummary s;
  {
    py::gil_scoped_release release;
    s = bcd::api::compile_network(c);
  }
  py::dict d;
  d["path"] = output;
  d["steps"] = s.steps;
  d["tasks"] = s.tasks;
  d["tuned_tasks"] = s.tuned_tasks;
  d["weight_bytes"] = s.weight_bytes;
  d["workspace_bytes"] = s.workspace_bytes;
  d["scratch_bytes"] = s.scratch.shared_bytes;
  d["scratch_bytes_per_thread"] = s.scratch.per_thread_bytes;
  d["warnings"] = s.warnings;
  return d;
}

}  // namespace

PYBIND11_MODULE(_bcd, m) {
  m.doc() = "bcd: compile tuned networks and run them on NumPy arrays";
  m.attr("__version__") = bcd::kVersion;
  static py::exception<bcd::Error> error(m, "Error");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const bcd::Error& e) {
      error(e.what());
    } catch (const bcd::RuntimeError& e) {
      error(e.what());
    }
  });
  py::class_<PyModel>(m, "Model")
      .def(py::init<const std::string&>(), py::arg("path"))
      .def("run", &PyModel::run, "run on NumPy arrays (by position or input name); returns {output name: array}")
      .def("run_profiled", &PyModel::run_profiled,
           "run as run() does; returns (outputs, [(task, seconds) for each step in execution order])")
      .def_property_readonly("inputs", [](const PyModel& p) { return p.tensors(true); })
      .def_property_readonly("outputs", [](const PyModel& p) { return p.tensors(false); })
      .def_property_readonly("metadata_json", &PyModel::metadata);
  m.def("tune", &tune, py::arg("model"), py::arg("strategy") = "ansor", py::arg("num_trials") = 200,
        py::arg("log_dir") = "", py::arg("target") = "llvm", py::arg("num_measures_per_round") = 64,
        py::arg("seed") = 0, py::arg("resume") = false, py::arg("image_size") = 0, py::arg("bert_layers") = 0,
        py::arg("bert_seq_len") = 0, py::arg("input_shapes") = std::map<std::string, std::vector<int64_t>>{}, py::arg("time_limit") = 0.0,
        py::arg("progress") = py::none());
  m.def("compile", &compile, py::arg("model"), py::arg("records") = "", py::arg("output") = "model.so",
        py::arg("target") = "llvm", py::arg("image_size") = 0, py::arg("bert_layers") = 0,
        py::arg("bert_seq_len") = 0, py::arg("input_shapes") = std::map<std::string, std::vector<int64_t>>{});
  m.def("zoo_models", [] { return bcd::frontends::model_names(); }, "the built-in models");
}
