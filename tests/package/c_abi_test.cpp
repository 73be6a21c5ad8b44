// The bcd runtime from C, as an application uses it (package/c_program.h): the C
// program's outputs equal the C++ face's bit for bit; given a corrupt package it
// sees an error code and a message, and exits normally.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>

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

// A profiled run: one time per step, the same outputs as a plain run.
TEST(RuntimeCAbi, AProfiledRunTimesEveryStepAndComputesTheSame) {
  const std::string& package = small_squeezenet_package();
  graph::Graph g = small_squeezenet();
  std::vector<NDArray> inputs = graph::random_inputs(g, 22);
  bcd::Model model(package);
  const std::vector<NDArray> want = run_package(model, inputs);
  const int steps = model.num_steps();
  ASSERT_GT(steps, 10);
  EXPECT_NE(model.metadata().find("\"steps\":" + std::to_string(steps)), std::string::npos);

  NDArray out(want[0].shape());
  const std::vector<double> seconds =
      model.run_profiled({std::span<const float>(inputs[0].data(), inputs[0].size())},
                         {std::span<float>(out.data(), out.size())});
  ASSERT_EQ(static_cast<int>(seconds.size()), steps);
  for (double s : seconds) EXPECT_GT(s, 0.0);
  EXPECT_EQ(std::memcmp(out.data(), want[0].data(), out.size() * sizeof(float)), 0);
  EXPECT_EQ(bcd_model_num_steps(nullptr), -1);
  EXPECT_EQ(bcd_model_run_profiled(nullptr, nullptr, nullptr, nullptr), BCD_ERROR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace bcd::testutil
