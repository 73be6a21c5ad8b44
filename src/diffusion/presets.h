// Named settings of the diffusion strategy. "default" is what measured best
// (docs/results/diffusion/); "artifact" is exactly what the research artifact
// runs, for comparison with the paper.
#pragma once
#include <string>

#include "diffusion/diffusion_tuner.h"

namespace bcd::diffusion {

// The options of preset `name` (default or artifact); fails naming both otherwise.
DiffusionOptions diffusion_preset(const std::string& name);

// One line naming every setting of `o`, for the start of a run.
std::string describe_options(const DiffusionOptions& o);

}  // namespace bcd::diffusion
