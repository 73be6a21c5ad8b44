// The README's "Tune, compile, deploy" section cannot drift: its shell, C++ and
// Python snippets are taken from README.md and run here, in a scratch folder, with
// the build's binaries. The tuning line is replaced by a records file written here
// (a real tuning run takes minutes); every other line runs as written.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "executor/hand_record.h"
#include "frontends/zoo.h"
#include "runtime/compiler.h"
#include "support/npy.h"
#include "testing/bcd_cli.h"
#include "tuning/records.h"

namespace bcd::testutil {
namespace {

namespace fs = std::filesystem;

// The fenced blocks of `language` in the README section titled `section`.
std::vector<std::string> snippets(const std::string& section, const std::string& language) {
  std::ifstream in(BCD_SOURCE_DIR "/README.md");
  std::vector<std::string> blocks;
  bool inside_section = false, inside_block = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) inside_section = line == "## " + section;
    if (!inside_section) continue;
    if (!inside_block && line == "```" + language) {
      inside_block = true;
      blocks.emplace_back();
    } else if (inside_block && line == "```") {
      inside_block = false;
    } else if (inside_block) {
      blocks.back() += line + "\n";
    }
  }
  return blocks;
}

std::string shell(const std::string& command, const fs::path& dir) {
  BcdRun r = run_shell("cd '" + dir.string() + "' && " + command);
  return (r.status == 0 ? "ok\n" : "FAILED\n") + r.output;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

TEST(Readme, DeploySnippetsRunAsWritten) {
  const std::string section = "Tune, compile, deploy";
  const auto bash = snippets(section, "bash"), cpp = snippets(section, "cpp"), python = snippets(section, "python");
  ASSERT_EQ(bash.size(), 1u);
  ASSERT_EQ(cpp.size(), 1u);
  ASSERT_EQ(python.size(), 1u);
  const fs::path dir = temp_dir("readme");

  // What the tuning line would leave: a records file (one hand-made record) and an image.
  const graph::Graph g = frontends::build_model("squeezenet_v1.1", {});
  const graph::TaskSet set = graph::extract_tasks(g);
  fs::create_directories(dir / "runs" / "sq");
  const graph::Task& task = first_tunable_task(set);
  tuning::RecordWriter((dir / "runs" / "sq" / "records.json").string())
      .append({record_of(task, parallel_outer_state(*task.dag), 1e-3)});
  write_npy((dir / "image.npy").string(), random_arrays({g.node(g.inputs()[0]).shape}, 1)[0]);

  std::istringstream lines(bash[0]);
  int ran = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.rfind("build/bcd tune ", 0) == 0) continue;
    ASSERT_EQ(line.rfind("build/bcd ", 0), 0u) << line;
    std::string command = line;
    replace_all(command, "build/bcd ", std::string(BCD_BINARY) + " ");
    std::string out = shell(command, dir);
    ASSERT_EQ(out.rfind("ok\n", 0), 0u) << line << "\n" << out;
    ++ran;
  }
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(read_npy((dir / "scores.npy").string()).shape(), (std::vector<int64_t>{1, 1000}));

  // C++: compiled as the comment says, with the build's headers and library.
  std::ofstream(dir / "app.cpp") << cpp[0];
  const std::string lib = fs::path(BCD_RUNTIME_LIBRARY).parent_path().string();
  ASSERT_NE(cpp[0].find("// app.cpp: c++ -std=c++20 app.cpp -lbcd_runtime"), std::string::npos);
  std::string built = shell("c++ -std=c++20 app.cpp -I" BCD_SOURCE_DIR "/include -L" + lib +
                                " -lbcd_runtime -Wl,-rpath," + lib + " -o app",
                            dir);
  ASSERT_EQ(built.rfind("ok\n", 0), 0u) << built;
  std::string app = shell("./app", dir);
  EXPECT_EQ(app.rfind("ok\n", 0), 0u) << app;
  EXPECT_NE(app.find(": 1000 scores"), std::string::npos) << app;

  // Python: from the build tree.
  std::ofstream(dir / "snippet.py") << python[0];
  std::string py = shell("PYTHONPATH=" BCD_BUILD_DIR "/python /usr/bin/python3 snippet.py", dir);
  if (py.find("No module named 'bcd._bcd'") != std::string::npos ||
      py.find("No module named 'numpy'") != std::string::npos)
    GTEST_SKIP() << "the Python package is not built here: " << py;
  EXPECT_EQ(py.rfind("ok\n", 0), 0u) << py;
  EXPECT_NE(py.find(": (1, 1000)}"), std::string::npos) << py;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bcd::testutil
