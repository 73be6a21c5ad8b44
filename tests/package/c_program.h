// A small C application of the bcd runtime, compiled once per test process against
// include/bcd/runtime.h and libbcd_runtime: `prog PACKAGE DIR [BAD_PACKAGE]` reads
// input i from DIR/in<i>.raw (float32), runs the package, writes output j to
// DIR/out<j>.raw, prints what it ran, and, given BAD_PACKAGE, prints the status and
// message of loading it and exits 0 only if that load failed cleanly.
#pragma once
#include <string>
#include <vector>

#include "support/ndarray.h"

namespace bcd::testutil {

// The compiled program's path; fails the calling test (ADD_FAILURE) when it does
// not compile.
const std::string& c_program();

// Runs the C program on `inputs`, reading back `output_shapes`; `log` gets its
// output. Empty when it failed.
std::vector<NDArray> run_c_program(const std::string& package, const std::vector<NDArray>& inputs,
                                   const std::vector<std::vector<int64_t>>& output_shapes, std::string* log,
                                   const std::string& bad_package = "");

}  // namespace bcd::testutil
