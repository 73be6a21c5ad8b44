// The targets bcd compiles for ("llvm": this CPU, "cuda": an NVIDIA GPU) and the
// hardware parameters the search assumes for each: this CPU's cores and vector
// width; the GPU's limits read from device 0, or an H100-like default where there
// is no device (sketches, tasks and compile-only work need none).
#pragma once
#include <string>

#include "search/search_task.h"

namespace bcd::search {

// Fails with one line on an unknown target, or on "cuda" in a build without CUDA.
void check_target(const std::string& target);

struct TargetHardware {
  HardwareParams params;
  std::string description;  // what the values are and where they came from
};

TargetHardware hardware_for_target(const std::string& target);

// Fails with one line saying why when `target` needs a device this process cannot
// use (measuring or running on "cuda" without a GPU).
void require_device(const std::string& target);

}  // namespace bcd::search
