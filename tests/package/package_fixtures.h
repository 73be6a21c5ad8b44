// Compiling test networks into packages once per process, and running a package
// the way an application does (through the C++ face of the bcd runtime).
#pragma once
#include <string>
#include <vector>

#include "bcd/runtime.hpp"
#include "graph/graph.h"
#include "support/ndarray.h"
#include "tuning/records.h"

namespace bcd::testutil {

// Writes `graph` with `records` as the package `<temp>/<name>.so`; returns its path.
std::string compile_package(const graph::Graph& graph, const std::vector<tuning::Record>& records,
                            const std::string& name);

// The small squeezenet (32x32 images) compiled with default schedules, once.
const std::string& small_squeezenet_package();
graph::Graph small_squeezenet();

// Runs `model` on `inputs` (its input order); returns its outputs.
std::vector<NDArray> run_package(bcd::Model& model, const std::vector<NDArray>& inputs);

}  // namespace bcd::testutil
