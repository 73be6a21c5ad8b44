#include "schedule/hand_schedule.h"

#include <fmt/format.h>

#include "support/error.h"

namespace bcd::schedule {

int HandSchedule::stage_id(const std::string& stage) const {
  for (int i = 0; i < state_.num_stages(); ++i)
    if (state_.stage(i).op->name == stage) return i;
  std::vector<std::string> names;
  for (const auto& s : state_.stages()) names.push_back(s.op->name);
  fail("no stage named '{}' (stages: {})", stage, fmt::join(names, ", "));
}

std::vector<std::string> HandSchedule::iter_names(const std::string& stage) const {
  std::vector<std::string> names;
  for (const auto& it : state_.stage(stage_id(stage)).iters) names.push_back(it.name);
  return names;
}

int HandSchedule::iter_id(const std::string& stage, const std::string& iter) const {
  std::vector<std::string> names = iter_names(stage);
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == iter) return static_cast<int>(i);
  fail("stage {} has no iterator '{}' (iterators: {})", stage, iter, fmt::join(names, ", "));
}

std::vector<std::string> HandSchedule::split(const std::string& stage, const std::string& iter,
                                             const std::vector<int64_t>& inner_lengths) {
  int s = stage_id(stage), i = iter_id(stage, iter);
  state_.apply(split_step(s, i, state_.stage(s).iters[i].extent, inner_lengths));
  std::vector<std::string> parts;
  for (size_t p = 0; p <= inner_lengths.size(); ++p) parts.push_back(state_.stage(s).iters[i + p].name);
  return parts;
}

std::pair<std::string, std::string> HandSchedule::split2(const std::string& stage, const std::string& iter,
                                                         int64_t factor) {
  auto parts = split(stage, iter, {factor});
  return {parts[0], parts[1]};
}

std::string HandSchedule::fuse(const std::string& stage, const std::vector<std::string>& iters) {
  int s = stage_id(stage);
  std::vector<int> ids;
  for (const auto& it : iters) ids.push_back(iter_id(stage, it));
  state_.apply(fuse_step(s, ids));
  return state_.stage(s).iters[ids.front()].name;
}

void HandSchedule::reorder(const std::string& stage, const std::vector<std::string>& order) {
  std::vector<int> ids;
  for (const auto& it : order) ids.push_back(iter_id(stage, it));
  state_.apply(reorder_step(stage_id(stage), ids));
}

void HandSchedule::parallel(const std::string& stage, const std::string& iter) {
  state_.apply(annotation_step(stage_id(stage), iter_id(stage, iter), IterAnnotation::Parallel));
}

void HandSchedule::vectorize(const std::string& stage, const std::string& iter) {
  state_.apply(annotation_step(stage_id(stage), iter_id(stage, iter), IterAnnotation::Vectorize));
}

void HandSchedule::unroll(const std::string& stage, const std::string& iter) {
  state_.apply(annotation_step(stage_id(stage), iter_id(stage, iter), IterAnnotation::Unroll));
}

void HandSchedule::auto_unroll(const std::string& stage, int64_t max_step) {
  state_.apply(pragma_step(stage_id(stage), 0, fmt::format("auto_unroll_max_step${}", max_step)));
}

void HandSchedule::compute_at(const std::string& stage, const std::string& target, const std::string& target_iter) {
  state_.apply(compute_at_step(stage_id(stage), stage_id(target), iter_id(target, target_iter)));
}

void HandSchedule::compute_inline(const std::string& stage) { state_.apply(compute_inline_step(stage_id(stage))); }

void HandSchedule::compute_root(const std::string& stage) { state_.apply(compute_root_step(stage_id(stage))); }

std::string HandSchedule::cache_write(const std::string& stage, const std::string& scope) {
  int s = stage_id(stage);
  state_.apply(cache_write_step(s, scope));
  return state_.stage(s).op->name;
}

std::string HandSchedule::cache_read(const std::string& stage, const std::string& scope,
                                     const std::vector<std::string>& readers) {
  int s = stage_id(stage);
  std::vector<int> ids;
  for (const auto& r : readers) ids.push_back(stage_id(r));
  state_.apply(cache_read_step(s, scope, ids));
  return state_.stage(s + 1).op->name;
}

std::string HandSchedule::rfactor(const std::string& stage, const std::string& iter, int factor_axis_position) {
  int s = stage_id(stage);
  state_.apply(rfactor_step(s, iter_id(stage, iter), factor_axis_position));
  return state_.stage(s).op->name;
}

}  // namespace bcd::schedule
