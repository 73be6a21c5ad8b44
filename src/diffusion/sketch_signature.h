// The structure of a sketch, independent of the workload's extents: what the
// `sketch` clustering compares between tasks, and how the posterior finds its
// prior's sketch among its own.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "schedule/state.h"
#include "schedule/transform_step.h"

namespace bcd::diffusion {

// The sketch's steps as JSON with every split's extent and lengths blanked: two
// tasks whose sketches apply the same rules to the same stage structure agree.
std::string sketch_signature(const std::vector<schedule::Step>& sketch_steps);

// Which of `sketches` the annotated State `steps` was sampled from: the one whose
// steps are a prefix of `steps` up to split lengths (annotation only fills lengths
// and appends steps; mutations keep that prefix). nullopt if none is.
std::optional<int> sketch_of(const std::vector<schedule::Step>& steps, const std::vector<schedule::State>& sketches);

}  // namespace bcd::diffusion
