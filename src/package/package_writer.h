// Compiling a network into a package: one self-contained shared library that a
// program loads with the bcd runtime (include/bcd/runtime.h) and runs without bcd.
//
// What goes in (the contract with the loader: package_runtime/package_format.h):
// - every task's kernel (its best record's schedule, else its default program),
//   compiled as in tuning and linked together, each under its own name;
// - the weights, already in the layouts the kernels read (layout-rewritten weights
//   are packed here, once), embedded in a read-only section: the dynamic loader maps
//   them from the file, so loading reads nothing until a kernel touches a page;
// - a generated entry point that calls the kernels in order over a static memory
//   plan (offsets into one caller-allocated workspace; the steps that compute a
//   network output write straight into the caller's output buffer; the buffers a
//   kernel would allocate itself are planned in the workspace too);
// - metadata (JSON): inputs and outputs with names, shapes and dtypes, the target,
//   the CPU features the kernels need, bcd's version, hashes of the model, the
//   records and the weights.
// The library needs libc, libm and the OpenMP runtime, nothing of bcd.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/kernel_scratch.h"
#include "graph/graph.h"
#include "target/target.h"
#include "tuning/records.h"

namespace bcd::package {

struct PackageOptions {
  Target target = Target::cpu();
  int jobs = 0;              // parallel compiles; 0 = number of cores
  std::string model;         // the model's name, for the metadata
  std::string model_hash;    // identifies the model (file contents or zoo options)
  std::string records_hash;  // identifies the records used ("" for none)
};

struct PackageSummary {
  int steps = 0;
  int tasks = 0;
  int tuned_tasks = 0;
  int64_t weight_bytes = 0;
  int64_t workspace_bytes = 0;   // the activations
  codegen::KernelScratch scratch;  // the kernels' heap buffers, after the activations
  int64_t file_bytes = 0;
  double compile_seconds = 0;  // the kernels
  double link_seconds = 0;     // packing weights, the entry point, linking
  std::vector<std::string> warnings;  // tasks whose records could not be used
};

// Writes the package to `output` (atomically: a failed compile leaves no file).
// Fails with one line on a target it cannot package (cuda for now) or a task that
// does not compile.
PackageSummary write_package(const graph::Graph& graph, const std::vector<tuning::Record>& records,
                             const std::string& output, const PackageOptions& options);

}  // namespace bcd::package
