// The model flags every network command shares (`tasks`, `tune`, `run`,
// `export-onnx`): a zoo name or .onnx path, and the zoo's size knobs for quick
// experiments and tests.
#pragma once
#include <CLI/CLI.hpp>

#include "api/tune_config.h"

namespace bcd::cli {

void add_model_options(CLI::App* cmd, api::ModelSpec& o);

}  // namespace bcd::cli
