// Writing a schedule by hand, by name: stages by their op name and iterators by
// their name ("i", "i.0", "i.0@j.0@"), instead of the indices steps record. Each
// call applies one transform step to the State, so a hand schedule is an ordinary
// step history (it serializes and replays like a searched one).
//
//   HandSchedule h(dag);
//   h.cache_write("C", "local");
//   auto [io, ii] = h.split2("C", "C_i0", 32);  // returns the names of the parts
//   h.parallel("C", io);
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "schedule/transform_step.h"

namespace bcd::schedule {

class HandSchedule {
 public:
  explicit HandSchedule(const ir::ComputeDAG& dag) : state_(dag) {}
  explicit HandSchedule(State state) : state_(std::move(state)) {}

  const State& state() const { return state_; }
  int stage_id(const std::string& stage) const;  // fails naming the unknown stage
  int iter_id(const std::string& stage, const std::string& iter) const;
  std::vector<std::string> iter_names(const std::string& stage) const;

  // Splits into lengths.size() + 1 parts (outermost derived); returns their names.
  std::vector<std::string> split(const std::string& stage, const std::string& iter,
                                 const std::vector<int64_t>& inner_lengths);
  std::pair<std::string, std::string> split2(const std::string& stage, const std::string& iter, int64_t factor);
  std::string fuse(const std::string& stage, const std::vector<std::string>& iters);
  void reorder(const std::string& stage, const std::vector<std::string>& order);
  void parallel(const std::string& stage, const std::string& iter);
  void vectorize(const std::string& stage, const std::string& iter);
  void unroll(const std::string& stage, const std::string& iter);
  void auto_unroll(const std::string& stage, int64_t max_step);
  void compute_at(const std::string& stage, const std::string& target, const std::string& target_iter);
  void compute_inline(const std::string& stage);
  void compute_root(const std::string& stage);
  // Return the new stage's name.
  std::string cache_write(const std::string& stage, const std::string& scope = "local");
  std::string cache_read(const std::string& stage, const std::string& scope, const std::vector<std::string>& readers);
  std::string rfactor(const std::string& stage, const std::string& iter, int factor_axis_position);
  void apply(const Step& step) { state_.apply(step); }

 private:
  State state_;
};

}  // namespace bcd::schedule
