// Running the real `bcd` binary from tests: capture its output and exit status,
// start it in the background (to kill it mid-run), and scratch directories.
#pragma once
#include <sys/types.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bcd::testutil {

struct BcdRun {
  int status = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line to completion (stderr with stdout); status is its exit
// status, -1 when it did not exit normally.
BcdRun run_shell(const std::string& command);

// Runs `bcd args...` to completion.
BcdRun run_bcd(const std::vector<std::string>& args);

// Starts `bcd args...` with stdout and stderr going to `log`; returns its pid.
pid_t spawn_bcd(const std::vector<std::string>& args, const std::string& log);

// A fresh, empty directory under the system's temp directory, unique per process
// and removed when the process exits.
std::filesystem::path temp_dir(const std::string& name);

// Non-empty lines of a file (0 if it does not exist).
int count_lines(const std::string& path);

// The bytes of a file ("" if it cannot be read).
std::string read_file(const std::filesystem::path& path);

// Writes an executable shell script: a stand-in for a program bcd runs
// ($BCD_CC, $BCD_WORKER) that misbehaves on purpose.
void write_script(const std::filesystem::path& path, const std::string& body);

// The kernel compiler bcd would use (tests run where it is installed).
std::string real_compiler();

// Sets an environment variable for its lifetime (`bcd` children inherit it), then
// restores what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The run failed with exactly one line, "bcd: error: ..." containing `part`.
void expect_one_line_error(const BcdRun& r, const std::string& part);

}  // namespace bcd::testutil
