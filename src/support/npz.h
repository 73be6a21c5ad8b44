// NumPy's .npz files (np.savez, np.savez_compressed): a ZIP archive of .npy arrays
// by name, how ML users keep several inputs or outputs together. Read: stored or
// deflated members, every problem a one-line bcd::Error naming the file and the
// member, sizes checked against the archive before anything is allocated. Written:
// stored members, as np.savez does.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "support/ndarray.h"

namespace bcd {

// The arrays in archive order, named without the ".npy" suffix.
std::vector<std::pair<std::string, NDArray>> read_npz(const std::string& path);

// names[i] holds arrays[i].
void write_npz(const std::string& path, const std::vector<std::string>& names, const std::vector<NDArray>& arrays);

}  // namespace bcd
