#include "tuning/run_dir.h"

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

void save_run_info(const RunDir& dir, const nlohmann::json& info) {
  fs::create_directories(dir.path);
  std::string tmp = dir.info() + ".tmp";
  {
    std::ofstream out(tmp);
    out << info.dump(2) << "\n";
    if (!out) fail("cannot write {}", dir.info());
  }
  fs::rename(tmp, dir.info());  // never a half-written description
}

nlohmann::json load_run_info(const RunDir& dir) {
  std::ifstream in(dir.info());
  if (!in) fail("{} is not a tuning run directory (no run.json)", dir.path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: malformed run description: {}", dir.info(), e.what());
  }
}

}  // namespace bcd::tuning
