// ONNX conformance: the node tests of the ONNX backend test suite (generated from
// the test-case definitions of Debian's python3-onnx, opset 17 and older), each a
// one-node model with inputs and expected outputs, imported by bcd and run by its
// executor with default schedules (parameters passed as inputs fixed to the test's
// values: see run_node_test). The float32 tests bcd claims are listed in
// onnx_conformance_claimed.txt and must pass; BCD_ONNX_CONFORMANCE_REPORT=FILE runs
// every test and writes one line per test (name, result, reason) for
// tools/onnx_conformance_table.py, which makes docs/onnx_conformance.md.
#ifdef BCD_HAVE_ONNX
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <unistd.h>

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
    // Test processes run side by side: each generates into its own directory, and
    // the first to finish renames it into place.
    const std::string tmp = out.string() + ".tmp" + std::to_string(::getpid());
    // onnx 1.12's generators still use aliases NumPy 1.24 removed.
    const std::string cmd =
        "/usr/bin/python3 -c \"import numpy as np\n"
        "for a, t in (('float', float), ('int', int), ('bool', bool), ('object', object), ('complex', complex), "
        "('str', str)):\n    setattr(np, a, t)\n"
        "import runpy, sys\nsys.argv = ['cmd_tools', 'generate-data', '-o', '" +
        tmp + "']\nrunpy.run_module('onnx.backend.test.cmd_tools', run_name='__main__')\" >/dev/null 2>&1";
    fs::remove_all(tmp);
    const bool made = std::system(cmd.c_str()) == 0 && fs::exists(fs::path(tmp) / "node" / "test_relu");
    std::error_code ec;
    if (made) fs::rename(tmp, out, ec);  // fails harmlessly where another process won
    fs::remove_all(tmp, ec);
    return fs::exists(out / "node" / "test_relu" / "model.onnx") ? (out / "node").string() : std::string();
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

// The first line of an import or run error, without the file's path and the list of
// supported operators.
std::string short_reason(const std::exception& e) {
  std::string what = e.what();
  what = what.substr(0, what.find('\n'));
  if (size_t at = what.find("model.onnx: "); at != std::string::npos) what = what.substr(at + 12);
  if (size_t at = what.find(" (supported operators:"); at != std::string::npos) what = what.substr(0, at);
  return what;
}

// The model with graph inputs 1, 2, ... made initializers holding the test's values:
// bcd compiles for known shapes and parameters, and node tests pass parameters
// (Resize's scales, Pad's pads, Clip's bounds) as inputs.
std::string with_parameters_fixed(const fs::path& dir, const std::vector<onnx::TensorProto>& values) {
  onnx::ModelProto model;
  std::ifstream in(dir / "model.onnx", std::ios::binary);
  if (!model.ParseFromIstream(&in)) fail("model.onnx: not an ONNX model");
  onnx::GraphProto* g = model.mutable_graph();
  std::set<std::string> initialized;
  for (const auto& t : g->initializer()) initialized.insert(t.name());
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> kept;
  size_t k = 0;
  for (const auto& v : g->input()) {
    if (initialized.count(v.name())) continue;
    if (k > 0 && k < values.size()) {
      onnx::TensorProto* t = g->add_initializer();
      *t = values[k];
      t->set_name(v.name());
    } else {
      *kept.Add() = v;
    }
    ++k;
  }
  g->mutable_input()->Swap(&kept);
  return model.SerializeAsString();
}

// Imports and runs one node test; `passed` only when every output matches within
// the suite's own tolerance (rtol 1e-3, atol 1e-7). When the model as it is does not
// import, or takes inputs other than float32 data, it is tried again with every input
// but the first fixed to the test's values.
Outcome run_node_test(const fs::path& dir) {
  std::vector<onnx::TensorProto> values;
  std::vector<NDArray> inputs, expected;
  const fs::path data = dir / "test_data_set_0";
  bool all_float = true;
  try {
    for (int k = 0; fs::exists(data / fmt::format("input_{}.pb", k)); ++k) {
      values.push_back(read_tensor(data / fmt::format("input_{}.pb", k)));
      all_float = all_float && values.back().data_type() == onnx::TensorProto::FLOAT;
    }
    if (values.empty() || values[0].data_type() != onnx::TensorProto::FLOAT) return {false, "not float32"};
    for (int k = 0; fs::exists(data / fmt::format("output_{}.pb", k)); ++k) {
      onnx::TensorProto t = read_tensor(data / fmt::format("output_{}.pb", k));
      if (t.data_type() != onnx::TensorProto::FLOAT) return {false, "not float32"};
      expected.push_back(frontends::onnx_detail::to_const(t, t.name())->f->copy());
    }
  } catch (const Error& e) {
    return {false, std::string("test data: ") + e.what()};
  }
  graph::Graph g;
  size_t fed = values.size();
  try {
    if (!all_float) fail("inputs other than float32 data");
    g = frontends::import_onnx((dir / "model.onnx").string());
  } catch (const std::exception& first) {
    try {
      g = frontends::import_onnx_bytes(with_parameters_fixed(dir, values), "model.onnx");
      fed = 1;
    } catch (const std::exception& e) {
      return {false, short_reason(e)};  // the more permissive try's problem
    }
  }
  try {
    for (size_t k = 0; k < fed; ++k) {
      onnx::TensorProto t = values[k];
      if (t.dims_size() == 0) t.add_dims(1);  // a 0-d input is a 1-element tensor in bcd
      inputs.push_back(frontends::onnx_detail::to_const(t, t.name())->f->copy());
    }
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
    return {false, short_reason(e)};
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
