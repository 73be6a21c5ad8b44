// A folder under the system's temporary directory for one test process, removed
// when the process exits. ctest runs every test in a process of its own, so a
// folder left behind is left once per test: compiled packages alone piled up
// 150 MB a run.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace bcd::testutil {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix)
      : path_(std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace bcd::testutil
