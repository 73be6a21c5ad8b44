// Conventions shared by the ONNX writer and importer (internal to frontends).
//
// Everything the writer emits is standard ONNX; where ONNX cannot tell two of our
// ops apart or holds a value less precisely than we do, the writer adds a hint to
// the doc_string of the node (or initializer, or input) concerned, one
// "bcd.KEY=VALUE" per line, which runtimes ignore:
//   bcd.op=relu6       a Clip(0, 6) that was our relu6 (else it imports as clip)
//   bcd.op=transpose, bcd.op=reshape
//                      one of our transpose/reshape nodes, not a wrapper the writer
//                      added: it stays a node (never folded or absorbed)
//   bcd.name=NAME      our name, where ONNX needed a unique one instead
//   bcd.epsilon=X, bcd.clip_lo=X, bcd.clip_hi=X, bcd.pad_value=X
//                      the exact double, written only where the float32 attribute
//                      does not give it back (see exact_double)
#pragma once
#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <string>

namespace bcd::frontends::onnx_format {

inline constexpr int kOpset = 17;     // LayerNormalization needs 17
inline constexpr int kIrVersion = 8;  // the IR version of ONNX 1.12 (opset 17)

// A float32 attribute as the double a user meant: the double nearest the float's
// shortest decimal form (1e-12f -> 1e-12, not 9.9999998e-13). Values written as
// decimals round-trip through float32 this way.
inline double exact_double(float value) {
  return std::strtod(fmt::format("{}", value).c_str(), nullptr);
}

inline std::map<std::string, std::string> parse_hints(const std::string& doc) {
  std::map<std::string, std::string> hints;
  size_t start = 0;
  while (start <= doc.size()) {
    size_t end = doc.find('\n', start);
    if (end == std::string::npos) end = doc.size();
    const std::string line = doc.substr(start, end - start);
    const size_t eq = line.find('=');
    if (line.rfind("bcd.", 0) == 0 && eq != std::string::npos)
      hints[line.substr(4, eq - 4)] = line.substr(eq + 1);
    start = end + 1;
  }
  return hints;
}

inline void add_hint(std::string& doc, const std::string& key, const std::string& value) {
  if (!doc.empty()) doc += '\n';
  doc += "bcd." + key + "=" + value;
}

}  // namespace bcd::frontends::onnx_format
