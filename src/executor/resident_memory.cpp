#include "executor/resident_memory.h"

#include <fstream>
#include <sstream>
#include <string>

namespace bcd::executor {

namespace {

// A "Key:   1234 kB" line of /proc/self/status, in bytes.
int64_t status_field_bytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    int64_t kb = 0;
    fields >> kb;
    return kb * 1024;
  }
  return 0;
}

}  // namespace

int64_t peak_resident_bytes() { return status_field_bytes("VmHWM"); }
int64_t current_resident_bytes() { return status_field_bytes("VmRSS"); }

}  // namespace bcd::executor
