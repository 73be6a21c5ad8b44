#include "search/sketch_signature.h"

#include <map>

#include "support/error.h"

namespace bcd::search {

using schedule::Step;
using schedule::StepKind;

StageNaming parse_stage_naming(const std::string& name) {
  if (name == "operation") return StageNaming::Operation;
  if (name == "role") return StageNaming::Role;
  fail("unknown stage naming '{}' (operation or role)", name);
}

const char* stage_naming_name(StageNaming naming) { return naming == StageNaming::Role ? "role" : "operation"; }

std::string stage_key(const schedule::State& state, int stage_id, StageNaming naming) {
  const schedule::Stage& stage = state.stage(stage_id);
  if (naming == StageNaming::Role && stage.output_index >= 0 && stage.op->is_compute() && !stage.op->has_reduce())
    return "output#" + std::to_string(stage.output_index);
  const std::string& name = stage.op->name;
  int earlier = 0;
  for (int s = 0; s < stage_id; ++s) earlier += state.stage(s).op->name == name;
  return name + "#" + std::to_string(earlier);
}

std::vector<std::string> step_stage_keys(const ir::ComputeDAG& dag, const std::vector<Step>& steps,
                                         StageNaming naming) {
  schedule::State state(dag);
  std::vector<std::string> keys;
  keys.reserve(steps.size());
  for (const Step& s : steps) {
    keys.push_back(stage_key(state, s.stage_id, naming));
    state.apply(s);
  }
  return keys;
}

std::string sketch_signature(const ir::ComputeDAG& dag, const std::vector<Step>& sketch_steps, StageNaming naming) {
  // Every stage reference becomes a key; step references are renumbered over the
  // steps kept.
  schedule::State state(dag);
  std::map<int, int> kept_index;
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < sketch_steps.size(); ++i) {
    const Step& original = sketch_steps[i];
    if (original.kind == StepKind::ComputeInline) {
      state.apply(original);
      continue;
    }
    Step s = original;
    nlohmann::json stages = {stage_key(state, s.stage_id, naming)};
    if (s.kind == StepKind::ComputeAt) stages.push_back(stage_key(state, s.target_stage_id, naming));
    for (int r : s.reader_stage_ids) stages.push_back(stage_key(state, r, naming));
    s.stage_id = s.target_stage_id = 0;
    s.reader_stage_ids.clear();
    if (s.kind == StepKind::Split) {
      s.extent = 0;
      for (auto& l : s.lengths) l = 0;
    }
    auto renumber = [&](int id) { return kept_index.count(id) ? kept_index[id] : -1; };
    if (s.kind == StepKind::FollowSplit) s.src_step_id = renumber(s.src_step_id);
    for (int& id : s.src_step_ids) id = renumber(id);
    kept_index[static_cast<int>(i)] = static_cast<int>(out.size());
    out.push_back({schedule::step_to_json(s), stages});
    state.apply(original);
  }
  return out.dump();
}

std::optional<int> sketch_of(const std::vector<Step>& steps, const std::vector<schedule::State>& sketches,
                             const std::vector<std::string>* signatures) {
  for (size_t k = 0; k < sketches.size(); ++k) {
    const auto& sketch = sketches[k].history();
    if (sketch.size() > steps.size()) continue;
    std::vector<Step> prefix(steps.begin(), steps.begin() + static_cast<long>(sketch.size()));
    std::string signature = signatures ? (*signatures)[k] : sketch_signature(sketches[k]);
    if (sketch_signature(sketches[k].dag(), prefix) == signature) return static_cast<int>(k);
  }
  return std::nullopt;
}

}  // namespace bcd::search
