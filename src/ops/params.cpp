// OpParams: "key=value,key=value" operator parameters with strict parsing.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "ops/registry.h"
#include "support/error.h"

namespace bcd::ops {

namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool is_key(const std::string& k) {
  if (k.empty() || !(std::isalpha(static_cast<unsigned char>(k[0])) || k[0] == '_')) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool parse_int(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  if (*b == '+') ++b;  // from_chars rejects a leading '+'
  auto [ptr, ec] = std::from_chars(b, s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

OpParams OpParams::parse(const std::string& text) {
  OpParams p;
  if (trim(text).empty()) return p;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = trim(text.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) fail("malformed parameters '{}': empty item (expected key=value,...)", text);
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      fail("malformed parameter '{}' in '{}' (expected key=value)", item, text);
    std::string key = trim(item.substr(0, eq)), value = trim(item.substr(eq + 1));
    if (!is_key(key)) fail("malformed parameter name '{}' in '{}'", key, text);
    if (value.empty()) fail("parameter '{}' has an empty value", key);
    if (p.values_.count(key)) fail("parameter '{}' given twice", key);
    p.values_[key] = value;
  }
  return p;
}

std::string OpParams::where(const std::string& key) const {
  return (op_name_.empty() ? "" : op_name_ + ": ") + "parameter '" + key + "'";
}

void OpParams::note(const std::string& key) const {
  if (std::find(asked_.begin(), asked_.end(), key) == asked_.end()) asked_.push_back(key);
  used_.insert(key);
}

int64_t OpParams::get_int(const std::string& key, int64_t fallback) const {
  note(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  int64_t v;
  if (!parse_int(it->second, &v)) fail("{} = '{}' is not an integer", where(key), it->second);
  return v;
}

std::vector<int64_t> OpParams::get_ints(const std::string& key,
                                        std::vector<int64_t> fallback) const {
  note(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  std::vector<int64_t> out;
  const std::string& s = it->second;
  size_t start = 0;
  while (start <= s.size()) {
    size_t x = s.find('x', start);
    if (x == std::string::npos) x = s.size();
    int64_t v;
    if (!parse_int(s.substr(start, x - start), &v))
      fail("{} = '{}' is not a list of integers like 1x3x224x224", where(key), s);
    out.push_back(v);
    start = x + 1;
  }
  return out;
}

std::string OpParams::get_str(const std::string& key, const std::string& fallback) const {
  note(key);
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

double OpParams::get_float(const std::string& key, double fallback) const {
  note(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  const std::string& s = it->second;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v))
    fail("{} = '{}' is not a finite number", where(key), s);
  return v;
}

void OpParams::check_all_used(const std::string& op_name) const {
  for (const auto& [key, value] : values_) {
    if (used_.count(key)) continue;
    std::string known;
    for (const auto& k : asked_) known += (known.empty() ? "" : ", ") + k;
    fail("{}: unknown parameter '{}' (parameters: {})", op_name, key,
         known.empty() ? "none" : known);
  }
}

std::string OpParams::to_string() const {
  std::string s;
  for (const auto& [key, value] : values_) s += (s.empty() ? "" : ",") + key + "=" + value;
  return s;
}

}  // namespace bcd::ops
