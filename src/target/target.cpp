#include "target/target.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>
#include <vector>

#include "support/error.h"

namespace bcd {

HardwareParams default_gpu_hardware() {
  // The GPU fields' defaults are this GPU; the CPU fields are not used.
  return HardwareParams{};
}

Target Target::cpu(HardwareParams hardware) {
  Target t;
  t.hardware = hardware;
  return t;
}

Target Target::gpu(HardwareParams hardware) {
  Target t;
  t.kind = TargetKind::Cuda;
  t.hardware = hardware;
  return t;
}

std::string Target::kind_name() const { return is_gpu() ? "cuda" : "llvm"; }

void Target::use_ansor_space() {
  full_vector_tile_prob = 0;
  inner_tile_reorder_prob = 0;
}

namespace {

// One option of a kind's string: its key and how to read and write it.
struct Option {
  const char* key;
  std::string (*get)(const Target&);
  void (*set)(Target&, const std::string& value);  // fails on a malformed value
  bool search_space;  // decides which States are sampled, not what a State's program is
};

int parse_int(const std::string& key, const std::string& v) {
  int out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size() || out <= 0)
    fail("target option -{}={}: expected a positive integer", key, v);
  return out;
}

double parse_probability(const std::string& key, const std::string& v) {
  double out = -1;
  std::istringstream in(v);
  in >> out;
  if (!in || !in.eof() || out < 0 || out > 1) fail("target option -{}={}: expected a number from 0 to 1", key, v);
  return out;
}

std::string layout_rewrite_string(const Target& t) {
  if (t.rewrite_weights && t.rewrite_accumulators) return "weights,accumulators";
  if (t.rewrite_weights) return "weights";
  if (t.rewrite_accumulators) return "accumulators";
  return "none";
}

void set_layout_rewrite(Target& t, const std::string& v) {
  if (v != "weights,accumulators" && v != "accumulators,weights" && v != "weights" && v != "accumulators" &&
      v != "none")
    fail("target option -layout-rewrite={}: expected weights,accumulators, weights, accumulators or none", v);
  t.rewrite_weights = v.find("weights") != std::string::npos;
  t.rewrite_accumulators = v.find("accumulators") != std::string::npos;
}

std::string num(double v) { return fmt::format("{:g}", v); }

#define BCD_INT_OPTION(KEY, FIELD, SPACE)                                                          \
  Option {                                                                                         \
    KEY, [](const Target& t) { return std::to_string(t.hardware.FIELD); },                         \
        [](Target& t, const std::string& v) { t.hardware.FIELD = parse_int(KEY, v); }, SPACE       \
  }

const std::vector<Option>& llvm_options() {
  static const std::vector<Option> options = {
      {"mcpu", [](const Target& t) { return t.mcpu; }, [](Target& t, const std::string& v) { t.mcpu = v; }, false},
      BCD_INT_OPTION("cores", num_cores, false),
      BCD_INT_OPTION("lanes", vector_lanes, false),
      BCD_INT_OPTION("cache-line", cache_line_bytes, false),
      {"layout-rewrite", layout_rewrite_string, set_layout_rewrite, false},
      {"full-vector-tile-prob", [](const Target& t) { return num(t.full_vector_tile_prob); },
       [](Target& t, const std::string& v) { t.full_vector_tile_prob = parse_probability("full-vector-tile-prob", v); },
       true},
      {"inner-tile-reorder-prob", [](const Target& t) { return num(t.inner_tile_reorder_prob); },
       [](Target& t, const std::string& v) {
         t.inner_tile_reorder_prob = parse_probability("inner-tile-reorder-prob", v);
       },
       true},
  };
  return options;
}

const std::vector<Option>& cuda_options() {
  static const std::vector<Option> options = {
      {"arch", [](const Target& t) { return t.mcpu; }, [](Target& t, const std::string& v) { t.mcpu = v; }, false},
      BCD_INT_OPTION("max-threads-per-block", max_threads_per_block, false),
      BCD_INT_OPTION("max-shared-memory-per-block", max_shared_memory_per_block, false),
      BCD_INT_OPTION("max-registers-per-block", max_local_memory_per_block, false),
      BCD_INT_OPTION("warp-size", warp_size, false),
      BCD_INT_OPTION("sms", num_sms, false),
      BCD_INT_OPTION("max-vthread", max_vthread_extent, false),
  };
  return options;
}

#undef BCD_INT_OPTION

const std::vector<Option>& options_of(TargetKind kind) {
  return kind == TargetKind::Cuda ? cuda_options() : llvm_options();
}

// The kind and the -key=value pairs of a target string, unchecked.
std::pair<std::string, std::map<std::string, std::string>> split_target(const std::string& text) {
  std::istringstream in(text);
  std::string kind, word;
  in >> kind;
  std::map<std::string, std::string> values;
  while (in >> word) {
    size_t eq = word.find('=');
    if (word.size() < 2 || word[0] != '-' || eq == std::string::npos || eq == 1)
      fail("target '{}': '{}' is not an option of the form -key=value", text, word);
    values[word.substr(1, eq - 1)] = word.substr(eq + 1);
  }
  return {kind, values};
}

}  // namespace

std::string Target::str() const {
  std::string out = kind_name();
  for (const Option& o : options_of(kind)) {
    std::string v = o.get(*this);
    if (!v.empty()) out += fmt::format(" -{}={}", o.key, v);
  }
  return out;
}

Target Target::parse(const std::string& text, std::set<std::string>* given) {
  auto [kind, values] = split_target(text);
  Target t;
  if (kind == "cuda")
    t = Target::gpu();
  else if (kind != "llvm")
    fail("unknown target '{}' (llvm or cuda, optionally followed by -key=value options)", kind);
  for (const auto& [key, value] : values) {
    const auto& options = options_of(t.kind);
    auto it = std::find_if(options.begin(), options.end(), [&](const Option& o) { return key == o.key; });
    if (it == options.end()) {
      std::vector<std::string> keys;
      for (const Option& o : options) keys.push_back(o.key);
      fail("target '{}': unknown option -{} for {} (known: {})", text, key, kind, fmt::join(keys, ", "));
    }
    it->set(t, value);
    if (given) given->insert(key);
  }
  return t;
}

bool same_measurements(const std::string& recorded, const Target& target) {
  Target was;
  std::set<std::string> given;
  try {
    was = Target::parse(recorded, &given);
  } catch (const Error&) {
    return false;
  }
  if (was.kind != target.kind) return false;
  for (const Option& o : options_of(target.kind))
    if (!o.search_space && given.count(o.key) && o.get(was) != o.get(target)) return false;
  return true;
}

}  // namespace bcd
