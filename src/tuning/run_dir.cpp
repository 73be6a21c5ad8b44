#include "tuning/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "support/error.h"

namespace bcd::tuning {

namespace fs = std::filesystem;

std::string default_run_dir(const std::string& root, const std::string& strategy, const std::string& model,
                            bool latest) {
  std::string name = fs::path(model).extension() == ".onnx" ? fs::path(model).stem().string() : model;
  fs::path base = fs::path(root) / ("log_" + strategy) / name;
  int idx = 0;
  while (fs::exists(base / std::to_string(idx))) ++idx;
  if (latest && idx > 0) --idx;
  return (base / std::to_string(idx)).string();
}

RunDirLock::RunDirLock(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string path = dir + "/.lock";
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot create {}: {}", path, std::strerror(errno));
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {0};
    const ssize_t n = pread(fd_, holder, sizeof holder - 1, 0);
    close(fd_);
    fd_ = -1;
    fail("{} is in use by another tuning run (pid {}); wait for it to end or pass another --log-dir", dir,
         n > 0 ? std::string(holder, strnlen(holder, sizeof holder)) : std::string("unknown"));
  }
  const std::string pid = std::to_string(getpid());
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message of a second tuner; the lock holds without it.
  }
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

void save_run_info(const RunDir& dir, const nlohmann::json& info) {
  fs::create_directories(dir.path);
  std::string tmp = dir.info() + ".tmp";
  {
    std::ofstream out(tmp);
    out << info.dump(2) << "\n";
    out.flush();
    if (!out) fail_io(errno, "cannot write " + dir.info());
  }
  fs::rename(tmp, dir.info());  // never a half-written description
}

nlohmann::json parse_run_info(const std::string& text, const std::string& what) {
  nlohmann::json info;
  try {
    info = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: malformed run description: {}", what, e.what());
  }
  if (!info.is_object()) fail("{}: malformed run description: not a JSON object", what);
  for (const char* key : {"search_space", "target", "strategy", "group_type", "cost_model"})
    if (info.contains(key) && !info[key].is_string()) fail("{}: \"{}\" is not a string", what, key);
  for (const char* key : {"seed", "num_trials", "num_measures_per_round"})
    if (info.contains(key) && !info[key].is_number_integer()) fail("{}: \"{}\" is not an integer", what, key);
  return info;
}

nlohmann::json load_run_info(const RunDir& dir) {
  std::ifstream in(dir.info());
  if (!in) fail("{} is not a tuning run directory (no run.json)", dir.path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_run_info(text, dir.info());
}

std::string run_label(const nlohmann::json& info) {
  std::string label = info.value("strategy", std::string("?"));
  if (info.contains("group_type")) label += "-" + info["group_type"].get<std::string>();
  return label + " (seed " + info.value("seed", nlohmann::json(0)).dump() + ")";
}

}  // namespace bcd::tuning
