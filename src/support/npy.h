// NumPy's .npy files, the arrays ML users already have: read as float32 (from
// little-endian float32 or float64, C order) and written as float32. Every problem
// is a one-line bcd::Error naming the file; the declared size is checked against
// the bytes present before anything is allocated.
#pragma once
#include <string>

#include "support/ndarray.h"

namespace bcd {

NDArray read_npy(const std::string& path);
// The same from the file's bytes; `what` names it in errors.
NDArray parse_npy(const std::string& bytes, const std::string& what);

void write_npy(const std::string& path, const NDArray& array);
std::string npy_bytes(const NDArray& array);

}  // namespace bcd
