#include "api/tune_config.h"

#include "search/target.h"
#include "support/error.h"

namespace bcd::api {

graph::Graph ModelSpec::load() const { return frontends::build_model(model, zoo); }

nlohmann::json ModelSpec::identity() const {
  return {{"model", model},
          {"image_size", zoo.image_size},
          {"bert_layers", zoo.bert_layers},
          {"bert_seq_len", zoo.bert_seq_len},
          {"weight_seed", zoo.seed}};
}

SearchSpace parse_search_space(const std::string& name) {
  if (name == "bcd") return SearchSpace::Bcd;
  if (name == "ansor") return SearchSpace::Ansor;
  fail("unknown search space '{}' (bcd or ansor)", name);
}

std::string search_space_name(SearchSpace space) { return space == SearchSpace::Ansor ? "ansor" : "bcd"; }

Target configured_target(const TuneConfig& config) {
  std::string spec = config.target;
  if (!config.layout_rewrite.empty()) spec += " -layout-rewrite=" + config.layout_rewrite;
  Target t = search::resolve_target(spec);
  if (config.search_space == SearchSpace::Ansor) t.use_ansor_space();
  return t;
}

void check_config(const TuneConfig& c) {
  if (c.num_trials <= 0) fail("the number of trials must be positive, not {}", c.num_trials);
  if (c.num_measures_per_round <= 0) fail("measures per round must be positive, not {}", c.num_measures_per_round);
  if (c.search.population <= 0) fail("the population must be positive, not {}", c.search.population);
  if (c.search.num_iterations < 0) fail("evolutionary iterations cannot be negative ({})", c.search.num_iterations);
  if (c.timeout <= 0) fail("the candidate timeout must be positive, not {}", c.timeout);
  if (c.strategy != "ansor" && c.strategy != "diffusion")
    fail("unknown strategy '{}' (ansor or diffusion)", c.strategy);
}

}  // namespace bcd::api
