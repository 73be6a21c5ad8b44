#include "support/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "support/error.h"

namespace bcd {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

// The value of `key` in the header's Python dict literal, as text.
std::string dict_value(const std::string& header, const std::string& key, const std::string& what) {
  const std::string quoted = "'" + key + "'";
  size_t at = header.find(quoted);
  if (at == std::string::npos) fail("{}: the .npy header has no '{}'", what, key);
  at = header.find(':', at + quoted.size());
  if (at == std::string::npos) fail("{}: the .npy header's '{}' has no value", what, key);
  ++at;
  while (at < header.size() && header[at] == ' ') ++at;
  size_t end = at;
  if (end < header.size() && header[end] == '(') {
    end = header.find(')', end);
    if (end == std::string::npos) fail("{}: the .npy header's shape is not closed", what);
    return header.substr(at, end + 1 - at);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  return header.substr(at, end - at);
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& what) {
  // "(1, 3, 224, 224)", "(5,)" or "()".
  std::vector<int64_t> shape;
  std::string inner = text.substr(1, text.size() - 2);
  std::stringstream in(inner);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
    if (b == std::string::npos) continue;  // the trailing comma of "(5,)"
    const std::string d = item.substr(b, e + 1 - b);
    char* stop = nullptr;
    const long long v = std::strtoll(d.c_str(), &stop, 10);
    if (d.empty() || *stop != '\0' || v < 0 || v > (int64_t{1} << 40))
      fail("{}: the .npy shape {} has a bad dimension '{}'", what, text, d);
    shape.push_back(v);
  }
  return shape;
}

}  // namespace

NDArray parse_npy(const std::string& bytes, const std::string& what) {
  if (bytes.size() < kMagicSize + 4 || bytes.compare(0, kMagicSize, kMagic, kMagicSize) != 0)
    fail("{}: not a .npy file (no NumPy magic)", what);
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8;
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail("{}: truncated .npy header", what);
    for (int k = 0; k < 4; ++k) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + k])) << (8 * k);
    offset = 12;
  } else {
    fail("{}: .npy format version {} is not supported (1, 2 or 3)", what, major);
  }
  if (header_len > bytes.size() - offset) fail("{}: truncated .npy header", what);
  const std::string header = bytes.substr(offset, header_len);
  const size_t data_at = offset + header_len;
  const std::string descr = dict_value(header, "descr", what);
  const std::string fortran = dict_value(header, "fortran_order", what);
  const std::string shape_text = dict_value(header, "shape", what);
  if (fortran != "False") fail("{}: Fortran-ordered arrays are not supported (save it C-ordered)", what);
  if (shape_text.empty() || shape_text.front() != '(') fail("{}: the .npy shape {} is not a tuple", what, shape_text);
  std::vector<int64_t> shape = parse_shape(shape_text, what);
  size_t width = 0;
  if (descr == "'<f4'")
    width = 4;
  else if (descr == "'<f8'")
    width = 8;
  else
    fail("{}: element type {} is not supported (float32 '<f4' or float64 '<f8')", what, descr);
  // Counted in 128 bits: a hostile shape must not wrap around before the check.
  unsigned __int128 count = 1;
  for (int64_t d : shape) count *= static_cast<unsigned __int128>(d);
  const size_t present = bytes.size() - data_at;
  if (count * width != present) {
    const unsigned __int128 needed = count * width;
    fail("{}: shape {} of {}-byte elements needs {} bytes of data, the file holds {}", what, shape_string(shape),
         width, needed >> 62 ? std::string("more than 2^62") : std::to_string(static_cast<uint64_t>(needed)),
         present);
  }
  if (shape.empty()) shape = {1};  // a 0-d array: bcd's tensors have rank >= 1
  NDArray a(shape);
  const char* src = bytes.data() + data_at;
  if (width == 4) {
    std::memcpy(a.data(), src, static_cast<size_t>(a.size()) * 4);
  } else {
    for (int64_t k = 0; k < a.size(); ++k) {
      double v;
      std::memcpy(&v, src + k * 8, 8);
      a[k] = static_cast<float>(v);
    }
  }
  return a;
}

NDArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open the .npy file", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_npy(buffer.str(), path);
}

std::string npy_bytes(const NDArray& array) {
  std::string shape = "(";
  for (int64_t d : array.shape()) shape += std::to_string(d) + ", ";
  if (array.shape().size() > 1) shape.resize(shape.size() - 2);
  if (array.shape().size() == 1) shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic, version, length and header padded with spaces to a multiple of 64 bytes.
  const size_t unpadded = kMagicSize + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, kMagicSize);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(array.data()), static_cast<size_t>(array.size()) * sizeof(float));
  return out;
}

void write_npy(const std::string& path, const NDArray& array) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const std::string bytes = npy_bytes(array);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) fail("{}: cannot write the .npy file", path);
}

}  // namespace bcd
