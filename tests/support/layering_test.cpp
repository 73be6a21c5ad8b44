// The module map (DESIGN.md section 3, docs/architecture.md) layers the modules so that
// dependencies point down. A module may include (`#include "module/..."`) only itself
// and modules listed before it; the executables `worker` and `cli` are included by
// none. `worker` sits right after `runtime`: it may use runtime and everything below.
// Every folder under src/ must be in the order, so a new module is placed deliberately.

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

struct Layering {
  std::vector<std::string> order;     // lowest first
  std::set<std::string> executables;  // included by no other module
};

const Layering kLayering = {
    .order = {"package_runtime", "support", "target", "ir", "ops", "schedule", "lower", "codegen", "runtime",
              "worker", "costmodel", "search", "graph", "frontends", "tuning", "broker", "diffusion",
              "executor", "package", "api", "cli"},
    .executables = {"worker", "cli"},
};

// The module of "src/<module>/...", or "" for a path outside any module folder.
std::string module_of(const std::string& path) {
  if (path.rfind("src/", 0) != 0) return "";
  size_t slash = path.find('/', 4);
  return slash == std::string::npos ? "" : path.substr(4, slash - 4);
}

// One line per include that breaks the layering, as `path:line includes "x/y.h" (...)`.
// Files outside the order and includes of folders that are not modules are not judged.
std::vector<std::string> layering_violations(
    const Layering& layering, const std::vector<std::pair<std::string, std::string>>& files) {
  auto rank = [&](const std::string& module) -> ptrdiff_t {
    auto it = std::find(layering.order.begin(), layering.order.end(), module);
    return it == layering.order.end() ? -1 : it - layering.order.begin();
  };
  static const std::regex include_re(R"re(^\s*#\s*include\s*"(([^"/]+)/[^"]*)")re");
  std::vector<std::string> violations;
  for (const auto& [path, content] : files) {
    const std::string from = module_of(path);
    const ptrdiff_t from_rank = rank(from);
    if (from_rank < 0) continue;
    std::istringstream lines(content);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      std::smatch m;
      if (!std::regex_search(line, m, include_re)) continue;
      const std::string to = m[2];
      const ptrdiff_t to_rank = rank(to);
      if (to_rank < 0 || to == from) continue;
      std::string why;
      if (to_rank > from_rank) why = ", which comes later";
      else if (layering.executables.count(to)) why = ", an executable";
      else continue;
      violations.push_back(path + ":" + std::to_string(number) + " includes \"" +
                           std::string(m[1]) + "\" (module " + from + " may not include " +
                           to + why + ")");
    }
  }
  return violations;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

// The repository root: this file is tests/support/layering_test.cpp.
fs::path source_dir() { return fs::path(__FILE__).parent_path().parent_path().parent_path(); }

TEST(Layering, EveryFolderUnderSrcIsInTheOrder) {
  const fs::path src = source_dir() / "src";
  ASSERT_TRUE(fs::is_directory(src)) << src;
  std::vector<std::string> unknown;
  for (const auto& entry : fs::directory_iterator(src)) {
    const std::string name = entry.path().filename().string();
    const auto& order = kLayering.order;
    if (!entry.is_directory() || std::find(order.begin(), order.end(), name) == order.end())
      unknown.push_back("src/" + name);
  }
  std::sort(unknown.begin(), unknown.end());
  EXPECT_TRUE(unknown.empty()) << "not a module of the dependency order (place it in "
                                  "kLayering and DESIGN.md section 3):\n"
                               << joined(unknown);
}

TEST(Layering, NoModuleIncludesALaterOne) {
  const fs::path root = source_dir();
  ASSERT_TRUE(fs::is_directory(root / "src")) << root / "src";
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : fs::recursive_directory_iterator(root / "src")) {
    const std::string ext = entry.path().extension().string();
    if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
    std::ifstream in(entry.path());
    std::stringstream content;
    content << in.rdbuf();
    files.emplace_back(entry.path().lexically_relative(root).generic_string(), content.str());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  const auto violations = layering_violations(kLayering, files);
  EXPECT_TRUE(violations.empty()) << violations.size() << " upward include(s):\n"
                                  << joined(violations);
}

TEST(Layering, CheckerReportsAnUpwardInclude) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"src/ir/expr.cpp",
       "#include \"ir/expr.h\"\n"
       "#include \"support/check.h\"\n"
       "#include <vector>\n"
       "  #include \"tuning/records.h\"\n"
       "// #include \"executor/build.h\"\n"},
      {"src/worker/main.cpp", "#include \"runtime/runner.h\"\n#include \"target/target.h\"\n"},
      {"src/cli/main.cpp", "#include \"cli/commands.h\"\n#include \"api/api.h\"\n"},
  };
  EXPECT_EQ(layering_violations(kLayering, files),
            std::vector<std::string>{
                "src/ir/expr.cpp:4 includes \"tuning/records.h\" (module ir may not include "
                "tuning, which comes later)"});
  // worker may use runtime but nothing above it; no module may include an executable.
  EXPECT_EQ(layering_violations(kLayering, {{"src/worker/main.cpp", "#include \"search/a.h\"\n"},
                                            {"src/tuning/t.cpp", "#include \"worker/w.h\"\n"},
                                            {"src/api/a.cpp", "#include \"cli/c.h\"\n"}}),
            (std::vector<std::string>{
                "src/worker/main.cpp:1 includes \"search/a.h\" (module worker may not include "
                "search, which comes later)",
                "src/tuning/t.cpp:1 includes \"worker/w.h\" (module tuning may not include "
                "worker, an executable)",
                "src/api/a.cpp:1 includes \"cli/c.h\" (module api may not include cli, which "
                "comes later)"}));
}

}  // namespace
