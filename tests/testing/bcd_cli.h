// Running the real `bcd` binary from tests: capture its output and exit status,
// start it in the background (to kill it mid-run), and scratch directories.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace bcd::testutil {

struct BcdRun {
  int status = -1;
  std::string output;  // stdout and stderr together
};

// Runs `bcd args...` to completion.
BcdRun run_bcd(const std::vector<std::string>& args);

// Starts `bcd args...` with stdout and stderr going to `log`; returns its pid.
pid_t spawn_bcd(const std::vector<std::string>& args, const std::string& log);

// A fresh, empty directory under the system's temp directory, unique per process.
std::filesystem::path temp_dir(const std::string& name);

// Non-empty lines of a file (0 if it does not exist).
int count_lines(const std::string& path);

// The run failed with exactly one line, "bcd: error: ..." containing `part`.
void expect_one_line_error(const BcdRun& r, const std::string& part);

}  // namespace bcd::testutil
