// ONNX conformance: the node tests of the ONNX backend test suite (generated from
// the test-case definitions of Debian's python3-onnx, opset 17 and older), each a
// one-node model with inputs and expected outputs, imported by bcd and run by its
// executor with default schedules. The float32 tests bcd claims are listed in
// onnx_conformance_claimed.txt and must pass; BCD_ONNX_CONFORMANCE_REPORT=FILE runs
// every test and writes one line per test (name, result, reason) for
// tools/onnx_conformance_table.py, which makes docs/onnx_conformance.md.
#ifdef BCD_HAVE_ONNX
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "executor/network.h"
#include "frontends/onnx.h"
#include "frontends/onnx_importer.h"
#include "support/error.h"

namespace bcd {
namespace {

namespace fs = std::filesystem;

// Generates the node tests once per build tree (a second or two); empty when
// python3-onnx is missing.
std::string node_test_dir() {
  static const std::string dir = [] {
    const fs::path out = fs::temp_directory_path() / "bcd-onnx-node-tests";
    if (fs::exists(out / "node" / "test_relu" / "model.onnx")) return (out / "node").string();
    // onnx 1.12's generators still use aliases NumPy 1.24 removed.
    const std::string cmd =
        "/usr/bin/python3 -c \"import numpy as np\n"
        "for a, t in (('float', float), ('int', int), ('bool', bool), ('object', object), ('complex', complex), "
        "('str', str)):\n    setattr(np, a, t)\n"
        "import runpy, sys\nsys.argv = ['cmd_tools', 'generate-data', '-o', '" +
        out.string() + ".tmp']\nrunpy.run_module('onnx.backend.test.cmd_tools', run_name='__main__')\" "
        ">/dev/null 2>&1";
    fs::remove_all(out.string() + ".tmp");
    if (std::system(cmd.c_str()) != 0 || !fs::exists(out.string() + ".tmp/node")) return std::string();
    std::error_code ec;
    fs::rename(out.string() + ".tmp", out, ec);  // another test process may have won
    fs::remove_all(out.string() + ".tmp");
    return (out / "node").string();
  }();
  return dir;
}

onnx::TensorProto read_tensor(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  onnx::TensorProto t;
  if (!in || !t.ParseFromIstream(&in)) fail("{}: not a TensorProto", path.string());
  return t;
}

struct Outcome {
  bool passed = false;
  std::string reason;  // why not
};

// Imports and runs one node test; `passed` only when every output matches within
// the suite's own tolerance (rtol 1e-3, atol 1e-7).
Outcome run_node_test(const fs::path& dir) {
  std::vector<NDArray> inputs, expected;
  const fs::path data = dir / "test_data_set_0";
  try {
    for (int k = 0; fs::exists(data / fmt::format("input_{}.pb", k)); ++k) {
      onnx::TensorProto t = read_tensor(data / fmt::format("input_{}.pb", k));
      if (t.data_type() != onnx::TensorProto::FLOAT) return {false, "not float32"};
      inputs.push_back(frontends::onnx_detail::to_const(t, t.name())->f->copy());
    }
    for (int k = 0; fs::exists(data / fmt::format("output_{}.pb", k)); ++k) {
      onnx::TensorProto t = read_tensor(data / fmt::format("output_{}.pb", k));
      if (t.data_type() != onnx::TensorProto::FLOAT) return {false, "not float32"};
      expected.push_back(frontends::onnx_detail::to_const(t, t.name())->f->copy());
    }
  } catch (const Error& e) {
    return {false, std::string("test data: ") + e.what()};
  }
  try {
    graph::Graph g = frontends::import_onnx((dir / "model.onnx").string());
    if (g.inputs().size() != inputs.size()) return {false, "input count differs"};
    executor::Network net = executor::Network::build(g, {}, {.target = Target::cpu(), .jobs = 1});
    std::vector<const NDArray*> args;
    for (const NDArray& a : inputs) args.push_back(&a);
    std::vector<NDArray> out = net.run(args);
    if (out.size() != expected.size()) return {false, "output count differs"};
    for (size_t k = 0; k < out.size(); ++k) {
      if (out[k].size() != expected[k].size())
        return {false, fmt::format("output {} has shape {}, expected {}", k, shape_string(out[k].shape()),
                                   shape_string(expected[k].shape()))};
      for (int64_t i = 0; i < out[k].size(); ++i) {
        const double a = out[k][i], e = expected[k][i];
        if (!(std::abs(a - e) <= 1e-7 + 1e-3 * std::abs(e)) && !(std::isnan(a) && std::isnan(e)))
          return {false, fmt::format("output {} element {} is {}, expected {}", k, i, a, e)};
      }
    }
    return {true, ""};
  } catch (const std::exception& e) {
    // The first line, without the file's path and the list of supported operators.
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    if (size_t at = what.find("model.onnx: "); at != std::string::npos) what = what.substr(at + 12);
    if (size_t at = what.find(" (supported operators:"); at != std::string::npos) what = what.substr(0, at);
    return {false, what};
  }
}

std::vector<std::string> claimed_tests() {
  std::ifstream in(std::string(BCD_SOURCE_DIR) + "/tests/frontends/onnx_conformance_claimed.txt");
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') names.push_back(line);
  return names;
}

constexpr size_t kShards = 8;

class OnnxConformance : public ::testing::TestWithParam<size_t> {};

// The claimed tests in kShards interleaved shards, so that `ctest -j` spreads them.
TEST_P(OnnxConformance, ClaimedNodeTestsPass) {
  const std::string dir = node_test_dir();
  if (dir.empty()) GTEST_SKIP() << "python3-onnx is missing (tools/install-deps.sh installs it)";
  const std::vector<std::string> claimed = claimed_tests();
  ASSERT_GT(claimed.size(), 100u);
  for (size_t k = GetParam(); k < claimed.size(); k += kShards) {
    const Outcome o = run_node_test(fs::path(dir) / claimed[k]);
    EXPECT_TRUE(o.passed) << claimed[k] << ": " << o.reason;
  }
}

INSTANTIATE_TEST_SUITE_P(Shards, OnnxConformance, ::testing::Range<size_t>(0, kShards));

TEST(OnnxConformanceReport, EveryNodeTestWhenAsked) {
  const char* report = std::getenv("BCD_ONNX_CONFORMANCE_REPORT");
  if (!report) GTEST_SKIP() << "set BCD_ONNX_CONFORMANCE_REPORT=FILE to run every node test";
  const std::string dir = node_test_dir();
  ASSERT_FALSE(dir.empty()) << "python3-onnx is missing";
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  std::ofstream out(report);
  int passed = 0;
  for (const std::string& name : names) {
    const Outcome o = run_node_test(fs::path(dir) / name);
    passed += o.passed;
    out << name << '\t' << (o.passed ? "pass" : "fail") << '\t' << o.reason << '\n';
  }
  std::printf("onnx conformance: %d of %zu node tests pass\n", passed, names.size());
}

}  // namespace
}  // namespace bcd
#endif  // BCD_HAVE_ONNX
