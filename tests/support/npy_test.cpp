// NumPy .npy files: what NumPy writes reads back exactly, and every malformed file is
// a one-line error, found before anything is allocated.
#include "support/npy.h"

#include <gtest/gtest.h>

#include <cstring>

#include "support/error.h"
#include "testing/error_of.h"

namespace bcd {
namespace {

using testutil::error_of;

// A .npy file as NumPy 1.24 writes it: version 1, the header padded to 64 bytes.
std::string numpy_file(const std::string& dict, const std::string& data) {
  std::string header = dict;
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

template <typename T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

TEST(Npy, ReadsWhatNumPyWritesInFloat32AndFloat64) {
  const NDArray f = parse_npy(
      numpy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", raw<float>({1, 2, 3, 4, 5, 6.5f})),
      "f.npy");
  EXPECT_EQ(f.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f[5], 6.5f);
  const NDArray d =
      parse_npy(numpy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", raw<double>({0.25, -1, 1e10})),
                "d.npy");
  EXPECT_EQ(d.shape(), std::vector<int64_t>{3});
  EXPECT_EQ(d[0], 0.25f);
  EXPECT_EQ(d[2], 1e10f);
  // A 0-d array is a 1-element tensor.
  EXPECT_EQ(parse_npy(numpy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", raw<float>({7})), "s")
                .shape(),
            std::vector<int64_t>{1});
}

TEST(Npy, WritesWhatItReadsBitForBit) {
  NDArray a({2, 1, 3});
  for (int64_t i = 0; i < a.size(); ++i) a[i] = 0.1f * static_cast<float>(i) - 0.3f;
  const std::string bytes = npy_bytes(a);
  EXPECT_EQ(bytes.size() % 64, a.size() * 4 % 64);  // the header ends on a 64-byte boundary
  EXPECT_NE(bytes.find("'shape': (2, 1, 3)"), std::string::npos);
  const NDArray b = parse_npy(bytes, "a.npy");
  EXPECT_EQ(b.shape(), a.shape());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * 4), 0);
  NDArray v({4});
  EXPECT_NE(npy_bytes(v).find("'shape': (4,)"), std::string::npos);
}

TEST(Npy, MalformedFilesAreOneLineErrorsBeforeAnyAllocation) {
  auto error = [](const std::string& bytes) { return error_of([&] { parse_npy(bytes, "x.npy"); }); };
  EXPECT_NE(error("not numpy").find("x.npy: not a .npy file"), std::string::npos);
  EXPECT_NE(error(std::string("\x93NUMPY\x07\x00\x10\x00", 10)).find("version 7"), std::string::npos);
  const std::string full =
      numpy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", raw<float>({1, 2, 3, 4, 5, 6}));
  EXPECT_NE(error(full.substr(0, 20)).find("truncated"), std::string::npos);
  EXPECT_NE(error(full.substr(0, full.size() - 4)).find("needs 24 bytes of data, the file holds 20"),
            std::string::npos);
  // A shape of 2^40 x 2^40 floats in a small file: refused by the size check.
  EXPECT_NE(error(numpy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }",
                             raw<float>({1})))
                .find("more than 2^62"),
            std::string::npos);
  EXPECT_NE(error(numpy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", raw<float>({1})))
                .find("Fortran-ordered"),
            std::string::npos);
  EXPECT_NE(error(numpy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", raw<int64_t>({1})))
                .find("element type '<i8' is not supported"),
            std::string::npos);
  EXPECT_NE(error(numpy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }", "")).find("bad dimension"),
            std::string::npos);
  EXPECT_NE(error(numpy_file("{'descr': '<f4', 'fortran_order': False, }", "")).find("has no 'shape'"),
            std::string::npos);
  for (const std::string& e : {error("not numpy"), error(full.substr(0, 20))}) EXPECT_EQ(e.find('\n'), std::string::npos);
  EXPECT_NE(error_of([] { read_npy("/nonexistent/x.npy"); }).find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace bcd
