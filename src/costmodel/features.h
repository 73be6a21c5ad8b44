// Program features for the cost model, one row per buffer store of a lowered loop
// program (Ansor's per-store features). The columns are named by feature_names()
// (features.cpp is the single place that defines them; the list and what each
// column means are in its emit()).
#pragma once
#include <string>
#include <vector>

#include "costmodel/cost_model.h"
#include "lower/loop_ir.h"

namespace bcd::costmodel {

const std::vector<std::string>& feature_names();
int num_features();
// Column of a feature by name (fails on an unknown name): for tests and tools.
int feature_index(const std::string& name);

// Features of every store in the program; cheap enough to run on thousands of
// candidates per search round.
ProgramFeatures extract_features(const lower::LoweredFunc& func);

}  // namespace bcd::costmodel
