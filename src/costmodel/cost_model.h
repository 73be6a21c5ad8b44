// Cost models score candidate programs for the search. A program is described by
// its feature rows (one per buffer store of the lowered loop program, see
// features.h); the model predicts a score per program where higher means faster.
#pragma once
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace bcd::costmodel {

using FeatureRow = std::vector<float>;
struct ProgramFeatures {
  std::vector<FeatureRow> rows;  // empty: the program could not be featurized
};

// One measured program for training: `task` groups programs of the same task so
// that throughputs are normalised per task (label = throughput / best of task).
struct TrainingSample {
  ProgramFeatures features;
  std::string task;
  double throughput = 0;  // FLOP/s; 0 for a failed measurement
};

// The score of a program without feature rows (it could not be lowered or
// featurized): below every real score, as in Ansor.
inline constexpr double kInvalidScore = -std::numeric_limits<double>::infinity();

class CostModel {
 public:
  virtual ~CostModel() = default;
  // Adds samples to everything seen so far and trains on all of it. A model that
  // was trained before continues training (fine-tuning), it does not restart.
  virtual void update(const std::vector<TrainingSample>& samples) = 0;
  // One score per program, higher is faster; kInvalidScore for a program without
  // rows. Not thread-safe: call from one thread at a time.
  virtual std::vector<double> predict(const std::vector<ProgramFeatures>& programs) = 0;
  virtual void save(const std::string& path) const = 0;
  virtual void load(const std::string& path) = 0;
  virtual std::string name() const = 0;
  // Number of boosting rounds trained so far (0 for models without trees).
  virtual int num_trees() const { return 0; }
};

// Uniform random scores in [0, 1): the ablation baseline. The same seed gives the
// same sequence of scores.
std::unique_ptr<CostModel> make_random_model(uint64_t seed);

struct XGBoostOptions {
  int rounds_per_update = 10;  // boosting rounds added by each update()
  int max_depth = 10;
  double eta = 0.2;
  double min_child_weight = 0;
  double gamma = 0.001;  // Ansor's; 0.003 left too few splits on label-weighted rows
  int threads = 0;  // 0 = all cores
  uint64_t seed = 0;
  // Row weight = max(label, min_weight): good programs count most (Ansor weighs by
  // the label), but failed and slow ones still pull their predictions down.
  double min_weight = 0.1;
};

// Gradient-boosted trees through XGBoost's C API with Ansor's pack-sum objective:
// per-store predictions are summed per program; the squared error against the
// normalised throughput is weighted by the label so good programs count most.
// Before its first update it scores like the random model (Ansor does the same).
// save() writes one file with the booster and every training sample, so a loaded
// model continues training where it stopped. Fails (bcd::Error) if bcd was built
// without XGBoost.
std::unique_ptr<CostModel> make_xgboost_model(const XGBoostOptions& options = {});
bool xgboost_available();

// The model a user names: "xgb" (XGBoost with default options and this seed) or
// "random"; fails listing both for any other name.
std::unique_ptr<CostModel> make_cost_model(const std::string& name, uint64_t seed);

}  // namespace bcd::costmodel
