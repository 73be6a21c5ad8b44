#include "search/evolutionary_search.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <cmath>
#include <limits>
#include <map>

#include "costmodel/features.h"
#include "lower/lower.h"
#include "search/mutation_rules.h"
#include "search/target.h"
#include "support/error.h"
#include "support/parallel_for.h"

namespace bcd::search {

using schedule::State;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

std::vector<costmodel::ProgramFeatures> featurize(const std::vector<State>& states, const Target& target) {
  std::vector<costmodel::ProgramFeatures> features(states.size());
  parallel_for(states.size(), [&](size_t i) {
    try {
      features[i] = costmodel::extract_features(lower_for_target(states[i], "candidate", target).kernel);
    } catch (const InternalError& e) {
      note_swallowed(e);  // a lowering bug: counted, scored like an unlowerable State
    } catch (const Error&) {
      // Not lowerable: no rows, the model gives it the lowest score.
    }
  });
  return features;
}

std::vector<double> score_states(const std::vector<State>& states, const Target& target,
                                 costmodel::CostModel& model, SearchStats* stats) {
  auto start = std::chrono::steady_clock::now();
  std::vector<costmodel::ProgramFeatures> features = featurize(states, target);
  std::vector<double> scores = model.predict(features);
  for (size_t i = 0; i < states.size(); ++i)
    if (features[i].rows.empty()) scores[i] = -std::numeric_limits<double>::infinity();
  if (stats) {
    stats->score_seconds += seconds_since(start);
    stats->states_scored += static_cast<int64_t>(states.size());
  }
  return scores;
}

std::vector<State> evolutionary_search(const SearchTask& task, const SearchOptions& options,
                                       std::vector<State> population, int out_size, costmodel::CostModel& model,
                                       const std::unordered_set<std::string>& measured, std::mt19937_64& rng,
                                       SearchStats* stats) {
  // The best distinct unmeasured States seen in any generation, by score.
  std::map<std::string, std::pair<double, State>> best;
  auto worst_best = [&] {
    auto it = std::min_element(best.begin(), best.end(),
                               [](const auto& a, const auto& b) { return a.second.first < b.second.first; });
    return it;
  };
  for (int iteration = 0; iteration <= options.num_iterations && !population.empty(); ++iteration) {
    std::vector<double> scores = score_states(population, task.target, model, stats);
    for (size_t i = 0; i < population.size(); ++i) {
      if (!std::isfinite(scores[i])) continue;
      std::string key = population[i].canonical_string();
      if (measured.count(key) || best.count(key)) continue;
      if (static_cast<int>(best.size()) < out_size) {
        best.emplace(key, std::make_pair(scores[i], population[i]));
      } else {
        auto worst = worst_best();
        if (scores[i] > worst->second.first) {
          best.erase(worst);
          best.emplace(key, std::make_pair(scores[i], population[i]));
        }
      }
    }
    if (iteration == options.num_iterations) break;

    // Parents in proportion to their (non-negative) scores; uniform if all zero.
    auto start = std::chrono::steady_clock::now();
    std::vector<double> weights(scores.size());
    double total = 0;
    for (size_t i = 0; i < scores.size(); ++i) total += weights[i] = std::isfinite(scores[i]) ? std::max(scores[i], 0.0) : 0;
    if (total <= 0)
      for (size_t i = 0; i < scores.size(); ++i) weights[i] = std::isfinite(scores[i]) ? 1.0 : 0.0;
    std::discrete_distribution<size_t> parent(weights.begin(), weights.end());
    std::uniform_real_distribution<double> coin(0, 1);
    std::vector<State> next;
    int attempts = 0, limit = options.population * 4;
    while (static_cast<int>(next.size()) < options.population && attempts < limit) {
      // A batch of children: parents, coins and seeds drawn here in order, the
      // mutations (which lower GPU programs to check their limits) in parallel.
      int batch = std::min(options.population - static_cast<int>(next.size()), limit - attempts);
      attempts += batch;
      std::vector<size_t> parents(batch);
      std::vector<uint64_t> seeds(batch);
      std::vector<char> mutated(batch);
      for (int i = 0; i < batch; ++i) {
        parents[i] = parent(rng);
        mutated[i] = coin(rng) < options.mutation_prob;
        seeds[i] = rng();
      }
      std::vector<std::optional<State>> children(batch);
      parallel_for(batch, [&](size_t i) {
        if (!mutated[i]) return;
        std::mt19937_64 child_rng(seeds[i]);
        children[i] = mutate(task, options, population[parents[i]], child_rng);
      });
      for (int i = 0; i < batch; ++i) {
        if (!mutated[i])
          next.push_back(population[parents[i]]);
        else if (children[i])
          next.push_back(std::move(*children[i]));
        else if (stats)
          ++stats->mutations_failed;
      }
    }
    population = std::move(next);
    if (stats) stats->evolve_seconds += seconds_since(start);
  }
  std::vector<std::pair<double, State>> ranked;
  for (auto& [key, entry] : best) ranked.push_back(std::move(entry));
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<State> out;
  for (auto& r : ranked) out.push_back(std::move(r.second));
  return out;
}

}  // namespace bcd::search
