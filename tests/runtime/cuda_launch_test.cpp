// The launch header of generated CUDA sources: read back exactly, and every
// malformed form rejected with a one-line error.
#include <gtest/gtest.h>

#include "runtime/cuda_launch.h"
#include "support/error.h"

using namespace bcd;
using runtime::CudaLaunch;
using runtime::parse_cuda_program;

namespace {

std::string error_of(const std::string& source, const std::string& func) {
  try {
    parse_cuda_program(source, func);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(CudaLaunchHeader, ReadsLaunchesInOrderAndBuffers) {
  std::string source =
      "// bcd-launch conv conv_k0 56 2 1 64 4 1\n"
      "// bcd-launch other other_k0 9 9 9 9 9 9\n"
      "// bcd-launch conv conv_k1 7 1 1 128 1 1\n"
      "// bcd-buffer conv pad_tmp 200704\n"
      "// bcd-buffer other junk 3\n"
      "// bcd-buffer conv acc 4096\n"
      "extern \"C\" __global__ void conv_k0(float* a, float* b, float* pad_tmp, float* acc) {}\n";
  runtime::CudaProgram p = parse_cuda_program(source, "conv");
  ASSERT_EQ(p.launches.size(), 2u);
  EXPECT_EQ(p.launches[0], (CudaLaunch{"conv_k0", {56, 2, 1}, {64, 4, 1}}));
  EXPECT_EQ(p.launches[1], (CudaLaunch{"conv_k1", {7, 1, 1}, {128, 1, 1}}));
  ASSERT_EQ(p.buffers.size(), 2u);
  EXPECT_EQ(p.buffers[0], (std::pair<std::string, int64_t>{"pad_tmp", 200704}));
  EXPECT_EQ(p.buffers[1], (std::pair<std::string, int64_t>{"acc", 4096}));

  runtime::CudaProgram other = parse_cuda_program(source, "other");
  ASSERT_EQ(other.launches.size(), 1u);
  EXPECT_EQ(other.launches[0].grid, (std::array<unsigned, 3>{9, 9, 9}));
  ASSERT_EQ(other.buffers.size(), 1u);
}

TEST(CudaLaunchHeader, ExtraSpacesAreAccepted) {
  runtime::CudaProgram p = parse_cuda_program("// bcd-launch f  k   1 2 3   4 5 6  \n", "f");
  ASSERT_EQ(p.launches.size(), 1u);
  EXPECT_EQ(p.launches[0], (CudaLaunch{"k", {1, 2, 3}, {4, 5, 6}}));
  EXPECT_TRUE(p.buffers.empty());
}

TEST(CudaLaunchHeader, MalformedHeadersAreOneLineErrors) {
  struct Case {
    std::string source, expected;
  };
  const Case cases[] = {
      {"extern \"C\" __global__ void f() {}\n", "no '// bcd-launch f ...' header"},
      {"// bcd-launch g k 1 1 1 1 1 1\n", "no '// bcd-launch f ...' header"},  // only another function's
      {"// bcd-launch f k 1 1 1 1 1\n", "expected kernel, 3 grid and 3 block sizes"},
      {"// bcd-launch f k 1 1 1 1 1 1 1\n", "expected kernel, 3 grid and 3 block sizes"},
      {"// bcd-launch f k 1 x 1 1 1 1\n", "'x' is not a positive number"},
      {"// bcd-launch f k 1 0 1 1 1 1\n", "'0' is not a positive number"},
      {"// bcd-launch f k 1 -2 1 1 1 1\n", "'-2' is not a positive number"},
      {"// bcd-launch f k 1 1 1 32.5 1 1\n", "'32.5' is not a positive number"},
      {"// bcd-launch f k 1 1 1 99999999999 1 1\n", "'99999999999' is not a positive number"},
      {"// bcd-launch f k 1 1 1 1 1 1\n// bcd-buffer f tmp\n", "expected a name and a size"},
      {"// bcd-launch f k 1 1 1 1 1 1\n// bcd-buffer f tmp 0\n", "'0' is not a positive number"},
      {"// bcd-launch f k 1 1 1 1 1 1\n// bcd-buffer f t 4\n// bcd-buffer f t 8\n", "'t' is declared twice"},
      {"// bcd-launch\n", "malformed CUDA launch header"},
  };
  for (const Case& c : cases) {
    std::string e = error_of(c.source, "f");
    EXPECT_NE(e.find(c.expected), std::string::npos) << "source: " << c.source << "error: " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}
