// How differently two tuning runs timed the same programs. Two runs of one seed
// measure many identical programs (each task's untuned default, and the first
// candidates of a search that starts from the same random state), so the ratio of
// their times shows how fast the machine was during each run. On a shared VM that
// drifts by 5-20% between runs (docs/results/diffusion/evaluation_200/README.md),
// as much as the differences the comparison of two strategies is after; a
// comparison that states it, and divides it out, can be trusted further.
#pragma once
#include <optional>
#include <vector>

#include <string>

#include "tuning/records.h"
#include "tuning/run_comparison.h"
#include "tuning/tuning_tsv.h"

namespace bcd::tuning {

struct MeasurementDrift {
  int programs = 0;   // distinct programs measured without error in both runs
  double median = 1;  // median over them of B's time / A's time (> 1: B's machine was slower)
  double p10 = 1, p90 = 1;
};

// Over the programs (workload, target and steps) both logs measured without error,
// each taken at its first measurement in each run; nullopt when there are fewer
// than `min_programs`.
std::optional<MeasurementDrift> measurement_drift(const std::vector<Record>& a, const std::vector<Record>& b,
                                                  int min_programs = 10);

// `rows` with every latency divided by `factor`: a run's estimates as a machine
// `factor` times as fast would have timed them.
std::vector<TsvRow> rescaled(const std::vector<TsvRow>& rows, double factor);

// A markdown section: the drift between runs A and B, and `adjusted`, the
// comparison of A with B's estimates divided by the drift.
std::string drift_markdown(const MeasurementDrift& drift, const RunComparison& adjusted);

}  // namespace bcd::tuning
