#include "testing/bcd_cli.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "testing/scratch_dir.h"

extern char** environ;

namespace bcd::testutil {

namespace {
// The binary built beside the tests, unless $BCD_BINARY names another (the
// packed copy on the GPU machine, where the build tree does not exist).
std::string bcd_binary() {
  const char* env = std::getenv("BCD_BINARY");
  return env && *env ? env : BCD_BINARY;
}
}  // namespace

BcdRun run_shell(const std::string& command) {
  BcdRun r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) r.output += buf;
  int status = pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

BcdRun run_bcd(const std::vector<std::string>& args) {
  std::string cmd = bcd_binary();
  for (const auto& a : args) cmd += " '" + a + "'";
  return run_shell(cmd);
}

pid_t spawn_bcd(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv = {bcd_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargs;
  for (auto& a : argv) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, cargs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

std::filesystem::path temp_dir(const std::string& name) {
  static const ScratchDir scratch("bcd-test");  // all of this process's, removed at its exit
  auto dir = scratch.path() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

int count_lines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_script(const std::filesystem::path& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\n" << body;
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
}

std::string real_compiler() {
  BcdRun r = run_shell("command -v clang-19 || command -v clang");
  return r.output.substr(0, r.output.find('\n'));
}

void expect_one_line_error(const BcdRun& r, const std::string& part) {
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_EQ(r.output.rfind("bcd: error: ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find(part), std::string::npos) << r.output;
}

}  // namespace bcd::testutil
