#include "runtime/cuda_launch.h"

#include <charconv>
#include <sstream>

#include "support/error.h"

namespace bcd::runtime {

namespace {

constexpr const char* kLaunchTag = "// bcd-launch";
constexpr const char* kBufferTag = "// bcd-buffer";

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

template <typename T>
T positive_number(const std::string& word, const std::string& line) {
  T value{};
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (ec != std::errc() || end != word.data() + word.size() || value <= 0)
    fail("malformed CUDA launch header: '{}' is not a positive number in '{}'", word, line);
  return value;
}

}  // namespace

CudaProgram parse_cuda_program(const std::string& source, const std::string& func) {
  CudaProgram program;
  std::istringstream in(source);
  for (std::string line; std::getline(in, line);) {
    bool launch = line.rfind(kLaunchTag, 0) == 0, buffer = line.rfind(kBufferTag, 0) == 0;
    if (!launch && !buffer) continue;
    std::vector<std::string> w = words(line);
    // words: "//", tag, func, ...
    if (w.size() < 3) fail("malformed CUDA launch header: '{}'", line);
    if (w[2] != func) continue;
    if (launch) {
      if (w.size() != 10) fail("malformed CUDA launch header: '{}' (expected kernel, 3 grid and 3 block sizes)", line);
      CudaLaunch l;
      l.kernel = w[3];
      for (int d = 0; d < 3; ++d) {
        l.grid[d] = positive_number<unsigned>(w[4 + d], line);
        l.block[d] = positive_number<unsigned>(w[7 + d], line);
      }
      program.launches.push_back(std::move(l));
    } else {
      if (w.size() != 5) fail("malformed CUDA buffer header: '{}' (expected a name and a size)", line);
      for (const auto& [name, size] : program.buffers)
        if (name == w[3]) fail("malformed CUDA buffer header: buffer '{}' is declared twice", name);
      program.buffers.emplace_back(w[3], positive_number<int64_t>(w[4], line));
    }
  }
  if (program.launches.empty()) fail("CUDA source has no '{} {} ...' header line", kLaunchTag, func);
  return program;
}

}  // namespace bcd::runtime
