// The bcd runtime from C, as an application uses it (package/c_program.h): the C
// program's outputs equal the C++ face's bit for bit; given a corrupt package it
// sees an error code and a message, and exits normally.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "graph/reference_executor.h"
#include "package/c_program.h"
#include "package/package_fixtures.h"

namespace bcd::testutil {
namespace {

TEST(RuntimeCAbi, ACProgramRunsThePackageAndSeesErrorsAsCodes) {
  const std::string& package = small_squeezenet_package();
  graph::Graph g = small_squeezenet();
  std::vector<NDArray> inputs = graph::random_inputs(g, 21);
  const std::string bad = (std::filesystem::temp_directory_path() / ("bcd-bad-" + std::to_string(getpid()) + ".so"));
  std::ofstream(bad) << "not a package";
  std::string log;
  std::vector<NDArray> got = run_c_program(package, inputs, {{1, 1000}}, &log, bad);
  std::filesystem::remove(bad);
  ASSERT_EQ(got.size(), 1u) << log;
  EXPECT_NE(log.find("input data [1,3,32,32]"), std::string::npos) << log;
  EXPECT_NE(log.find("bad package: status 2, model (nil): "), std::string::npos) << log;

  bcd::Model model(package);
  std::vector<NDArray> want = run_package(model, inputs);
  EXPECT_EQ(std::memcmp(got[0].data(), want[0].data(), want[0].size() * sizeof(float)), 0);
}

}  // namespace
}  // namespace bcd::testutil
