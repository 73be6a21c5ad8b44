// The random cost model: uniform scores, for ablations (how much does the learned
// model help the search?). Deterministic per seed so that ablation runs repeat.
#include <fstream>
#include <sstream>

#include "costmodel/cost_model.h"
#include "support/error.h"

namespace bcd::costmodel {

namespace {

constexpr const char* kMagic = "bcd-random-model-v1";

class RandomModel final : public CostModel {
 public:
  explicit RandomModel(uint64_t seed) : rng_(seed) {}

  void update(const std::vector<TrainingSample>&) override {}

  std::vector<double> predict(const std::vector<ProgramFeatures>& programs) override {
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<double> scores;
    scores.reserve(programs.size());
    for (const auto& p : programs) scores.push_back(p.rows.empty() ? kInvalidScore : uniform(rng_));
    return scores;
  }

  // The generator's whole state, so that a loaded model continues the sequence.
  void save(const std::string& path) const override {
    std::ofstream out(path);
    out << kMagic << "\n" << rng_ << "\n";
    if (!out) fail("cannot write random model to '{}'", path);
  }

  void load(const std::string& path) override {
    std::ifstream in(path);
    if (!in) fail("cannot read random model '{}'", path);
    std::string magic;
    std::getline(in, magic);
    if (magic != kMagic) fail("'{}' is not a random cost model file", path);
    std::mt19937_64 rng;
    in >> rng;
    if (!in) fail("random model file '{}' is truncated", path);
    rng_ = rng;
  }

  std::string name() const override { return "random"; }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<CostModel> make_random_model(uint64_t seed) { return std::make_unique<RandomModel>(seed); }

}  // namespace bcd::costmodel
