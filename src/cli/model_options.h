// The model options every network command shares (`tasks`, `tune`, `run`): a zoo
// name or .onnx path, and the zoo's size knobs for quick experiments and tests.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "frontends/zoo.h"
#include "graph/graph.h"

namespace bcd::cli {

struct ModelOptions {
  std::string model = "squeezenet_v1.1";
  frontends::ZooOptions zoo;
};

void add_model_options(CLI::App* cmd, ModelOptions& o);
graph::Graph load_model(const ModelOptions& o);
// The options as JSON (what a tuning run records about its model).
nlohmann::json model_identity(const ModelOptions& o);

}  // namespace bcd::cli
