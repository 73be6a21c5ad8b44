#include "costmodel/cost_model.h"
#include "support/error.h"

namespace bcd::costmodel {

std::unique_ptr<CostModel> make_cost_model(const std::string& name, uint64_t seed) {
  if (name == "xgb") {
    XGBoostOptions options;
    options.seed = seed;
    return make_xgboost_model(options);
  }
  if (name == "random") return make_random_model(seed);
  fail("unknown cost model '{}' (xgb or random)", name);
}

}  // namespace bcd::costmodel
