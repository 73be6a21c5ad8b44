#include "support/npz.h"

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "support/error.h"
#include "support/npy.h"

namespace bcd {

namespace {

// ZIP's little-endian fields, read from `bytes` at `at` after a bounds check.
uint32_t le(const std::string& bytes, size_t at, int width, const std::string& path) {
  if (at + width > bytes.size()) fail("{} is not a valid .npz file (truncated ZIP structure)", path);
  uint32_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

std::string inflate_member(const std::string& bytes, size_t at, uint32_t packed, uint32_t size,
                           const std::string& what) {
  std::string out(size, '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) fail("{}: cannot start decompressing", what);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + at));
  z.avail_in = packed;
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = size;
  const int rc = inflate(&z, Z_FINISH);
  const bool complete = rc == Z_STREAM_END && z.total_out == size;
  inflateEnd(&z);
  if (!complete) fail("{} is corrupt (its compressed data does not inflate to {} bytes)", what, size);
  return out;
}

void put(std::string& out, uint32_t v, int width) {
  for (int i = 0; i < width; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

std::vector<std::pair<std::string, NDArray>> read_npz(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open {}", path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string bytes = buffer.str();
  // The end-of-central-directory record: the last "PK\5\6" (a comment may follow it).
  size_t eocd = bytes.size() >= 22 ? bytes.rfind(std::string("PK\x05\x06", 4)) : std::string::npos;
  if (eocd == std::string::npos) fail("{} is not a .npz file (no ZIP directory)", path);
  const uint32_t entries = le(bytes, eocd + 10, 2, path);
  size_t at = le(bytes, eocd + 16, 4, path);
  std::vector<std::pair<std::string, NDArray>> arrays;
  for (uint32_t e = 0; e < entries; ++e) {
    if (le(bytes, at, 4, path) != 0x02014b50) fail("{} is not a valid .npz file (bad directory entry)", path);
    const uint32_t method = le(bytes, at + 10, 2, path);
    const uint32_t packed = le(bytes, at + 20, 4, path), size = le(bytes, at + 24, 4, path);
    const uint32_t name_len = le(bytes, at + 28, 2, path), extra_len = le(bytes, at + 30, 2, path);
    const uint32_t comment_len = le(bytes, at + 32, 2, path), local = le(bytes, at + 42, 4, path);
    if (at + 46 + name_len > bytes.size()) fail("{} is not a valid .npz file (truncated directory)", path);
    std::string name = bytes.substr(at + 46, name_len);
    at += 46 + name_len + extra_len + comment_len;
    const std::string what = path + ":" + name;
    if (packed == 0xffffffffu || size == 0xffffffffu) fail("{}: ZIP64 members are not supported", what);
    const size_t data = local + 30 + le(bytes, local + 26, 2, path) + le(bytes, local + 28, 2, path);
    if (le(bytes, local, 4, path) != 0x04034b50 || data + packed > bytes.size())
      fail("{} is truncated or corrupt (member {} extends past the end)", path, name);
    std::string member;
    if (method == 0) {
      if (packed != size) fail("{} is corrupt (a stored member with two sizes)", what);
      member = bytes.substr(data, size);
    } else if (method == 8) {
      // The declared size bounds the allocation; a stream that inflates to more fails.
      if (size / 1032 > packed + 1) fail("{} declares {} bytes, more than its data can hold", what, size);
      member = inflate_member(bytes, data, packed, size, what);
    } else {
      fail("{}: compression method {} is not supported (stored or deflate)", what, method);
    }
    if (name.size() > 4 && name.ends_with(".npy")) name.resize(name.size() - 4);
    arrays.emplace_back(name, parse_npy(member, what));
  }
  return arrays;
}

void write_npz(const std::string& path, const std::vector<std::string>& names, const std::vector<NDArray>& arrays) {
  if (names.size() != arrays.size()) fail("{}: {} names for {} arrays", path, names.size(), arrays.size());
  std::string out, directory;
  for (size_t a = 0; a < arrays.size(); ++a) {
    const std::string& name = names[a];
    const NDArray& array = arrays[a];
    const std::string member = npy_bytes(array), file = name + ".npy";
    if (member.size() >= 0xffffffffu) fail("{}: array {} is too large for a .npz member", path, name);
    const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(member.data()), static_cast<uInt>(member.size()));
    const uint32_t offset = static_cast<uint32_t>(out.size());
    auto header = [&](std::string& h, bool central) {
      put(h, central ? 0x02014b50 : 0x04034b50, 4);
      if (central) put(h, 20, 2);  // made by
      put(h, 20, 2);               // version needed
      put(h, 0, 2);                // flags
      put(h, 0, 2);                // stored
      put(h, 0, 2);                // time
      put(h, 0x21, 2);             // date (1980-01-01)
      put(h, crc, 4);
      put(h, static_cast<uint32_t>(member.size()), 4);
      put(h, static_cast<uint32_t>(member.size()), 4);
      put(h, static_cast<uint32_t>(file.size()), 2);
      put(h, 0, 2);  // extra
      if (central) {
        put(h, 0, 2);  // comment
        put(h, 0, 2);  // disk
        put(h, 0, 2);  // internal attributes
        put(h, 0, 4);  // external attributes
        put(h, offset, 4);
      }
      h += file;
    };
    header(out, false);
    out += member;
    header(directory, true);
  }
  const uint32_t directory_offset = static_cast<uint32_t>(out.size());
  out += directory;
  put(out, 0x06054b50, 4);
  put(out, 0, 2);
  put(out, 0, 2);
  put(out, static_cast<uint32_t>(arrays.size()), 2);
  put(out, static_cast<uint32_t>(arrays.size()), 2);
  put(out, static_cast<uint32_t>(directory.size()), 4);
  put(out, directory_offset, 4);
  put(out, 0, 2);
  std::ofstream file(path, std::ios::binary);
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (!file) fail("cannot write {}", path);
}

}  // namespace bcd
