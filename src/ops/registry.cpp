// The operator registry: lookup by name, building with parameter checking, and the
// typed parameter reader the definitions use (registry_nn.cpp, registry_tensor.cpp).
#include "ops/registry.h"

#include "ops/registry_util.h"
#include "ops/shape_util.h"
#include "support/error.h"

namespace bcd::ops {

namespace detail {

int64_t ParamReader::size(const std::string& key, int64_t fallback) const {
  int64_t v = p_.get_int(key, fallback);
  if (v <= 0) fail("{}: parameter '{}' must be positive, got {}", op_, key, v);
  return v;
}

int64_t ParamReader::integer(const std::string& key, int64_t fallback) const {
  return p_.get_int(key, fallback);
}

bool ParamReader::flag(const std::string& key, bool fallback) const {
  int64_t v = p_.get_int(key, fallback ? 1 : 0);
  if (v != 0 && v != 1) fail("{}: parameter '{}' must be 0 or 1, got {}", op_, key, v);
  return v == 1;
}

double ParamReader::number(const std::string& key, double fallback) const {
  return p_.get_float(key, fallback);
}

std::vector<int64_t> ParamReader::ints(const std::string& key,
                                       std::vector<int64_t> fallback) const {
  return p_.get_ints(key, std::move(fallback));
}

std::vector<int64_t> ParamReader::shape(const std::string& key,
                                        std::vector<int64_t> fallback) const {
  std::vector<int64_t> s = p_.get_ints(key, std::move(fallback));
  check_shape(s, "parameter '" + key + "'", op_);
  return s;
}

std::string ParamReader::text(const std::string& key, const std::string& fallback) const {
  return p_.get_str(key, fallback);
}

Layout ParamReader::layout(Layout fallback) const {
  return parse_layout(p_.get_str("layout", layout_name(fallback)), op_);
}

}  // namespace detail

const std::vector<OpDef>& op_registry() {
  static const std::vector<OpDef> defs = [] {
    std::vector<OpDef> d;
    detail::add_nn_ops(d);
    detail::add_tensor_ops(d);
    return d;
  }();
  return defs;
}

const OpDef& find_op(const std::string& name) {
  for (const auto& def : op_registry())
    if (def.name == name) return def;
  std::string known;
  for (const auto& def : op_registry()) known += (known.empty() ? "" : ", ") + def.name;
  fail("unknown operator '{}' (known: {})", name, known);
}

OpInstance build_op(const std::string& name, const OpParams& params) {
  const OpDef& def = find_op(name);
  OpParams named = params;
  named.set_op_name(name);
  OpInstance inst = def.build(named);
  named.check_all_used(name);
  return inst;
}

std::vector<NDArray> random_inputs(const OpInstance& inst, std::mt19937_64& rng) {
  std::vector<NDArray> inputs;
  const auto& placeholders = inst.dag.inputs();
  for (size_t i = 0; i < placeholders.size(); ++i) {
    inputs.emplace_back(placeholders[i]->shape);
    auto [low, high] = i < inst.input_ranges.size() ? inst.input_ranges[i]
                                                    : std::pair<float, float>{-1.0f, 1.0f};
    inputs.back().fill_random(rng, low, high);
  }
  return inputs;
}

}  // namespace bcd::ops
