// Reading JSON that came from outside (a records file, a broker job): parse with a
// one-line error, and read fields with one-line errors naming the field.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "support/error.h"

namespace bcd {

// nlohmann's messages start with "[json.exception.parse_error.101] "; the reader
// of a bcd error does not need the library's error code.
inline std::string without_json_prefix(const std::string& message) {
  if (message.rfind("[json.exception.", 0) == 0) {
    size_t end = message.find("] ");
    if (end != std::string::npos) return message.substr(end + 2);
  }
  return message;
}

// The parsed text; fails with "invalid JSON: ..." on malformed text.
inline nlohmann::json parse_json_text(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("invalid JSON: {}", without_json_prefix(e.what()));
  }
}

// Typed access to an object's fields.
class FieldReader {
 public:
  explicit FieldReader(const nlohmann::json& j) : j_(j) {}
  const nlohmann::json* find(const char* name) const {
    auto it = j_.find(name);
    return it == j_.end() ? nullptr : &*it;
  }
  const nlohmann::json& required(const char* name) const {
    const nlohmann::json* v = find(name);
    if (!v) fail("missing field \"{}\"", name);
    return *v;
  }
  std::string str(const char* name, const std::optional<std::string>& fallback = std::nullopt) const {
    const nlohmann::json* v = fallback ? find(name) : &required(name);
    if (!v) return *fallback;
    if (!v->is_string()) fail("field \"{}\" must be a string", name);
    return v->get<std::string>();
  }
  double number(const char* name, std::optional<double> fallback = std::nullopt) const {
    const nlohmann::json* v = fallback ? find(name) : &required(name);
    if (!v) return *fallback;
    if (!v->is_number()) fail("field \"{}\" must be a number", name);
    return v->get<double>();
  }
  int64_t integer(const char* name, std::optional<int64_t> fallback = std::nullopt) const {
    const nlohmann::json* v = fallback ? find(name) : &required(name);
    if (!v) return *fallback;
    if (!v->is_number_integer()) fail("field \"{}\" must be an integer", name);
    return v->get<int64_t>();
  }
  bool boolean(const char* name, std::optional<bool> fallback = std::nullopt) const {
    const nlohmann::json* v = fallback ? find(name) : &required(name);
    if (!v) return *fallback;
    if (!v->is_boolean()) fail("field \"{}\" must be true or false", name);
    return v->get<bool>();
  }

 private:
  const nlohmann::json& j_;
};

}  // namespace bcd
