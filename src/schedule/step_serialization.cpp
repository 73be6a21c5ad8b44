// Steps as JSON arrays in Ansor's record style: ["SP", stage, iter, extent,
// [lengths], inner_to_outer], ["CA", stage, target_stage, target_iter], ...
#include <fmt/format.h>

#include "schedule/transform_step.h"
#include "support/error.h"

namespace bcd::schedule {

using nlohmann::json;

json step_to_json(const Step& s) {
  json j = json::array({step_kind_name(s.kind), s.stage_id});
  switch (s.kind) {
    case StepKind::Split:
      j.insert(j.end(), {s.iter_id, s.extent, s.lengths, s.inner_to_outer ? 1 : 0});
      break;
    case StepKind::FollowSplit: j.insert(j.end(), {s.iter_id, s.src_step_id, s.n_split}); break;
    case StepKind::FollowFusedSplit:
      j.insert(j.end(), {s.iter_id, s.src_step_ids, s.level, s.factor_or_nparts ? 1 : 0});
      break;
    case StepKind::Fuse:
    case StepKind::Reorder: j.push_back(s.iter_ids); break;
    case StepKind::Annotation: j.insert(j.end(), {s.iter_id, annotation_name(s.annotation)}); break;
    case StepKind::Pragma: j.insert(j.end(), {s.iter_id, s.pragma}); break;
    case StepKind::ComputeAt: j.insert(j.end(), {s.target_stage_id, s.target_iter_id}); break;
    case StepKind::ComputeInline:
    case StepKind::ComputeRoot: break;
    case StepKind::CacheRead: j.insert(j.end(), {s.scope, s.reader_stage_ids}); break;
    case StepKind::CacheWrite: j.push_back(s.scope); break;
    case StepKind::Rfactor: j.insert(j.end(), {s.iter_id, s.factor_iter_id}); break;
    case StepKind::StorageAlign: j.insert(j.end(), {s.iter_id, s.align_factor, s.align_offset}); break;
  }
  return j;
}

namespace {

// Reads element i of a step array with the expected JSON type, or fails naming it.
class StepReader {
 public:
  explicit StepReader(const json& j) : j_(j) {}
  int integer(size_t i) const { return static_cast<int>(int64(i)); }
  int64_t int64(size_t i) const {
    const json& v = at(i);
    if (!v.is_number_integer()) bad(i, "an integer");
    return v.get<int64_t>();
  }
  std::string str(size_t i) const {
    const json& v = at(i);
    if (!v.is_string()) bad(i, "a string");
    return v.get<std::string>();
  }
  template <typename T>
  std::vector<T> list(size_t i) const {
    const json& v = at(i);
    if (!v.is_array()) bad(i, "a list");
    std::vector<T> out;
    for (const auto& x : v) {
      if (!x.is_number_integer()) bad(i, "a list of integers");
      out.push_back(x.get<T>());
    }
    return out;
  }
  void expect_size(size_t n) const {
    if (j_.size() != n) fail("malformed {} step {}: expected {} fields", j_[0].get<std::string>(), j_.dump(), n);
  }

 private:
  const json& at(size_t i) const {
    if (i >= j_.size()) fail("malformed step {}: missing field {}", j_.dump(), i);
    return j_[i];
  }
  [[noreturn]] void bad(size_t i, const char* what) const {
    fail("malformed step {}: field {} must be {}", j_.dump(), i, what);
  }
  const json& j_;
};

}  // namespace

Step step_from_json(const json& j) {
  if (!j.is_array() || j.size() < 2 || !j[0].is_string()) fail("malformed step {}", j.dump());
  std::string code = j[0].get<std::string>();
  StepReader r(j);
  Step s;
  s.stage_id = r.integer(1);
  for (int k = 0; k <= static_cast<int>(StepKind::StorageAlign); ++k)
    if (code == step_kind_name(static_cast<StepKind>(k))) s.kind = static_cast<StepKind>(k);
  if (code != step_kind_name(s.kind)) fail("unknown step kind '{}'", code);
  switch (s.kind) {
    case StepKind::Split:
      r.expect_size(6);
      s.iter_id = r.integer(2);
      s.extent = r.int64(3);
      s.lengths = r.list<int64_t>(4);
      s.inner_to_outer = r.integer(5) != 0;
      break;
    case StepKind::FollowSplit:
      r.expect_size(5);
      s.iter_id = r.integer(2);
      s.src_step_id = r.integer(3);
      s.n_split = r.integer(4);
      break;
    case StepKind::FollowFusedSplit:
      r.expect_size(6);
      s.iter_id = r.integer(2);
      s.src_step_ids = r.list<int>(3);
      s.level = r.integer(4);
      s.factor_or_nparts = r.integer(5) != 0;
      break;
    case StepKind::Fuse:
    case StepKind::Reorder:
      r.expect_size(3);
      s.iter_ids = r.list<int>(2);
      break;
    case StepKind::Annotation:
      r.expect_size(4);
      s.iter_id = r.integer(2);
      s.annotation = annotation_from_name(r.str(3));
      break;
    case StepKind::Pragma:
      r.expect_size(4);
      s.iter_id = r.integer(2);
      s.pragma = r.str(3);
      break;
    case StepKind::ComputeAt:
      r.expect_size(4);
      s.target_stage_id = r.integer(2);
      s.target_iter_id = r.integer(3);
      break;
    case StepKind::ComputeInline:
    case StepKind::ComputeRoot: r.expect_size(2); break;
    case StepKind::CacheRead:
      r.expect_size(4);
      s.scope = r.str(2);
      s.reader_stage_ids = r.list<int>(3);
      break;
    case StepKind::CacheWrite:
      r.expect_size(3);
      s.scope = r.str(2);
      break;
    case StepKind::Rfactor:
      r.expect_size(4);
      s.iter_id = r.integer(2);
      s.factor_iter_id = r.integer(3);
      break;
    case StepKind::StorageAlign:
      r.expect_size(5);
      s.iter_id = r.integer(2);
      s.align_factor = r.int64(3);
      s.align_offset = r.int64(4);
      break;
  }
  return s;
}

json history_to_json(const std::vector<Step>& steps) {
  json j = json::array();
  for (const auto& s : steps) j.push_back(step_to_json(s));
  return j;
}

std::vector<Step> history_from_json(const json& j) {
  if (!j.is_array()) fail("malformed step history: not a list");
  std::vector<Step> steps;
  for (const auto& s : j) steps.push_back(step_from_json(s));
  return steps;
}

}  // namespace bcd::schedule
