// .npz archives: what write_npz writes read_npz reads back by name; NumPy's own
// np.savez_compressed output (deflated members) reads too; a truncated or corrupt
// archive is a one-line error naming the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/error.h"
#include "support/npz.h"
#include "testing/error_of.h"

namespace bcd {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  return fs::temp_directory_path() / ("bcd-npz-" + std::to_string(getpid()) + "-" + name);
}

TEST(Npz, WrittenArraysReadBackByNameInOrder) {
  std::vector<NDArray> arrays = random_arrays({{2, 3}, {4}, {1, 1, 2}}, 3);
  const std::string path = scratch("round.npz").string();
  write_npz(path, {"x", "scores", "input.1"}, arrays);
  auto back = read_npz(path);
  ASSERT_EQ(back.size(), 3u);
  const std::vector<std::string> names = {"x", "scores", "input.1"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].first, names[i]);
    ASSERT_EQ(back[i].second.shape(), arrays[i].shape());
    EXPECT_EQ(std::memcmp(back[i].second.data(), arrays[i].data(), arrays[i].size() * sizeof(float)), 0);
  }
  fs::remove(path);
}

TEST(Npz, NumpysCompressedArchivesRead) {
  const std::string path = scratch("numpy.npz").string();
  const std::string cmd = "/usr/bin/python3 -c \"import numpy as np; np.savez_compressed('" + path +
                          "', a=np.arange(6, dtype=np.float32).reshape(2, 3), b=np.ones(5))\" 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "no python3 with NumPy";
  auto arrays = read_npz(path);
  ASSERT_EQ(arrays.size(), 2u);
  EXPECT_EQ(arrays[0].first, "a");
  EXPECT_EQ(arrays[0].second.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(arrays[0].second.data()[5], 5.0f);
  EXPECT_EQ(arrays[1].first, "b");
  EXPECT_EQ(arrays[1].second.data()[4], 1.0f);  // float64 read as float32
  fs::remove(path);
}

TEST(Npz, TruncatedOrCorruptArchivesAreOneLineErrors) {
  const std::string path = scratch("bad.npz").string();
  write_npz(path, {"x"}, random_arrays({{64}}, 1));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  const std::string bytes = s.str();
  auto expect_error = [&](const std::string& content, const std::string& part) {
    std::ofstream(path, std::ios::binary) << content;
    std::string message = testutil::error_of([&] { read_npz(path); });
    EXPECT_NE(message.find(part), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  };
  expect_error("", "not a .npz file");
  expect_error("hello", "not a .npz file");
  expect_error(bytes.substr(100), "npz");  // the directory points outside the file
  std::string bad_offset = bytes;
  bad_offset[bad_offset.size() - 6] = '\x7f';  // the directory's offset
  expect_error(bad_offset, "npz");
  expect_error(bytes.substr(0, bytes.size() - 30), "not a .npz file");
  std::string member = bytes;
  member[40] = 'X';  // inside the .npy header
  expect_error(member, "bad.npz:x.npy");
  EXPECT_THROW(read_npz(scratch("absent.npz").string()), Error);
  fs::remove(path);
}

}  // namespace
}  // namespace bcd
