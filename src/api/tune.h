// The library's front door for tuning: a whole network (every tuned task under one
// budget, Ansor's or the diffusion strategy) or one operator, with records, a
// per-round TSV and a run.json in a run directory, resumable without measuring
// anything twice. Progress goes to the observer (may be null). Fails with one
// line (bcd::Error) on bad input; what was recorded stays recorded.
#pragma once
#include "api/tune_config.h"
#include "api/tune_observer.h"

namespace bcd::api {

TuneResult tune_network(const TuneConfig& config, TuneObserver* observer = nullptr);

// `config`'s network fields (model, strategy, diffusion, include_simple_tasks) do
// not apply: one task, Ansor's search, config.num_trials measurements in all.
TuneResult tune_operator(const OpSpec& op, const TuneConfig& config, TuneObserver* observer = nullptr);

}  // namespace bcd::api
