#include "diffusion/sketch_signature.h"

namespace bcd::diffusion {

namespace {
schedule::Step blank_split(schedule::Step step) {
  if (step.kind == schedule::StepKind::Split) {
    step.extent = 0;
    for (auto& l : step.lengths) l = 0;
  }
  return step;
}
}  // namespace

std::string sketch_signature(const std::vector<schedule::Step>& sketch_steps) {
  std::vector<schedule::Step> blank;
  for (const auto& s : sketch_steps) blank.push_back(blank_split(s));
  return schedule::history_to_json(blank).dump();
}

std::optional<int> sketch_of(const std::vector<schedule::Step>& steps, const std::vector<schedule::State>& sketches) {
  for (size_t k = 0; k < sketches.size(); ++k) {
    const auto& sketch = sketches[k].history();
    if (sketch.size() > steps.size()) continue;
    std::vector<schedule::Step> prefix(steps.begin(), steps.begin() + static_cast<long>(sketch.size()));
    if (sketch_signature(prefix) == sketch_signature(sketch)) return static_cast<int>(k);
  }
  return std::nullopt;
}

}  // namespace bcd::diffusion
