// The user's tensors on the command line: `--input [NAME=]FILE.npy` per input or
// one `--input FILE.npz` holding every input by name, and the same for `--output`.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "support/ndarray.h"

namespace bcd::cli {

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
};

// The inputs in `wanted` order, read from `specs` (every input or none: with none,
// seeded random values). Fails with one line naming the input and both shapes on a
// wrong shape, and on a missing, unknown or doubly given input.
std::vector<NDArray> read_inputs(const std::vector<std::string>& specs, const std::vector<TensorSpec>& wanted,
                                 uint64_t seed);

// Checks `specs` against the output names before anything runs; returns the file
// for each output ("" where none is given).
std::vector<std::string> output_files(const std::vector<std::string>& specs, const std::vector<std::string>& names);

// Writes `outputs` (in names order) to the files output_files chose; one .npz takes
// them all. Prints one line per file.
void write_outputs(const std::vector<std::string>& files, const std::vector<std::string>& names,
                   const std::vector<NDArray>& outputs);

}  // namespace bcd::cli
