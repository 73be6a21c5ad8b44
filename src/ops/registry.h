// The operator registry: every operator bcd can build on its own, by name, from
// "key=value" parameters, together with its naive reference implementation. The
// `bcd op` command, the tests and the benchmarks all go through it.
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ir/compute_dag.h"
#include "support/ndarray.h"

namespace bcd::ops {

// Parameters of one operator instance, parsed from "n=1,c=64,layout=NCHW,a=2x3x4".
// Lists of integers use 'x' as separator. Every getter records the key as used, so
// that check_all_used() can reject a misspelled or unknown key.
class OpParams {
 public:
  OpParams() = default;
  static OpParams parse(const std::string& text);  // fails on malformed text

  int64_t get_int(const std::string& key, int64_t fallback) const;
  std::vector<int64_t> get_ints(const std::string& key, std::vector<int64_t> fallback) const;
  std::string get_str(const std::string& key, const std::string& fallback) const;
  double get_float(const std::string& key, double fallback) const;
  bool has(const std::string& key) const { return values_.count(key) > 0; }
  void set(const std::string& key, const std::string& value) { values_[key] = value; }
  // Fails naming the first key no getter asked for, and the keys that were asked for.
  void check_all_used(const std::string& op_name) const;
  std::string to_string() const;
  // Prefixes the getters' errors ("conv2d: parameter 'stride' ...").
  void set_op_name(const std::string& name) { op_name_ = name; }

 private:
  std::string where(const std::string& key) const;
  void note(const std::string& key) const;  // marks a key as asked for and used
  std::map<std::string, std::string> values_;
  mutable std::set<std::string> used_;
  mutable std::vector<std::string> asked_;  // every key a getter asked for, in order
  std::string op_name_;
};

using ReferenceFn = std::function<std::vector<NDArray>(const std::vector<const NDArray*>&)>;

struct OpInstance {
  ir::ComputeDAG dag;  // arguments: dag.inputs() then dag.outputs()
  // Computes the outputs from the inputs with plain loops, independently of the IR.
  ReferenceFn reference;
  // Per input (dag.inputs() order), the range random test data should be drawn from
  // so that the operator stays well conditioned (e.g. divisors away from zero).
  // Empty, or an input beyond its end: [-1, 1).
  std::vector<std::pair<float, float>> input_ranges = {};
};

struct OpDef {
  std::string name;
  std::string help;  // one line: the parameters and their defaults
  std::function<OpInstance(const OpParams&)> build;
};

const std::vector<OpDef>& op_registry();
// Fails with "unknown operator 'x' (known: a, b, ...)".
const OpDef& find_op(const std::string& name);
// find_op(name).build(params), then check_all_used.
OpInstance build_op(const std::string& name, const OpParams& params);

// Random inputs for an instance, in dag.inputs() order: uniform in the instance's
// input_ranges, [-1, 1) where it gives none.
std::vector<NDArray> random_inputs(const OpInstance& inst, std::mt19937_64& rng);

}  // namespace bcd::ops
