#include "search/search_policy.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "search/annotation_rules.h"
#include "search/cpu_tiled_default.h"
#include "search/sketch_rules.h"
#include "search/sketch_signature.h"
#include "support/error.h"
#include "support/parallel_for.h"

namespace bcd::search {

using schedule::State;

SearchPolicy::SearchPolicy(SearchTask task, std::shared_ptr<costmodel::CostModel> model, SearchOptions options,
                           uint64_t seed)
    : task_(std::move(task)), model_(std::move(model)), options_(std::move(options)), rng_(seed) {
  BCD_CHECK(model_, "a search policy needs a cost model");
}

const std::vector<State>& SearchPolicy::all_sketches() {
  if (!sketches_ready_) {
    sketches_ = generate_sketches(task_);
    sketches_ready_ = true;
  }
  return sketches_;
}

const std::vector<State>& SearchPolicy::sketches() {
  return plan_.sketches.empty() ? all_sketches() : plan_.sketches;
}

std::vector<State> SearchPolicy::sample_initial_population(int n) {
  auto start = std::chrono::steady_clock::now();
  const auto& all = sketches();
  std::vector<State> out;
  if (all.empty()) return out;
  int attempts = 0, limit = std::max(n, 1) * options_.max_sample_attempts;
  std::uniform_int_distribution<size_t> pick(0, all.size() - 1);
  while (static_cast<int>(out.size()) < n && attempts < limit) {
    // A batch of samples: sketches and seeds drawn here in order, the annotation
    // (which lowers GPU programs to check their limits) in parallel.
    int batch = std::min(n - static_cast<int>(out.size()), limit - attempts);
    attempts += batch;
    std::vector<const State*> sketch_of(batch);
    std::vector<uint64_t> seeds(batch);
    for (int i = 0; i < batch; ++i) {
      sketch_of[i] = &all[pick(rng_)];
      seeds[i] = rng_();
    }
    std::vector<std::optional<State>> made(batch);
    parallel_for(batch, [&](size_t i) {
      std::mt19937_64 rng(seeds[i]);
      try {
        made[i] = plan_.init_sampler ? plan_.init_sampler(*sketch_of[i], rng)
                                : annotate_sketch(task_, options_, *sketch_of[i], factorizations_, rng);
      } catch (const InternalError& e) {
        note_swallowed(e);  // a bug, counted; sample again
      } catch (const Error&) {
        // An annotation the State rejects: sample again.
      }
    });
    for (auto& m : made)
      if (m) out.push_back(std::move(*m));
  }
  stats_.sample_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::vector<State> SearchPolicy::top_states(int n) const {
  std::vector<State> out;
  for (int i = 0; i < n && i < static_cast<int>(best_.size()); ++i) out.push_back(best_[i].second);
  return out;
}

std::vector<State> SearchPolicy::best_per_sketch(const std::vector<State>& best, const std::vector<State>& population,
                                                 int limit) {
  std::vector<State> out;
  const std::vector<State>& kinds = sketches();
  if (kinds.size() < 2) return out;
  std::vector<std::string> signatures;
  for (const auto& k : kinds) signatures.push_back(sketch_signature(k));
  std::vector<bool> taken(kinds.size(), false);
  // The evolved States best first, then the initial population for a sketch the
  // evolution left out.
  for (const auto* states : {&best, &population}) {
    for (const auto& s : *states) {
      if (static_cast<int>(out.size()) >= std::min(limit, static_cast<int>(kinds.size()))) return out;
      if (is_measured(s)) continue;
      std::optional<int> k = sketch_of(s.history(), kinds, &signatures);
      if (!k || taken[*k]) continue;
      taken[*k] = true;
      out.push_back(s);
    }
  }
  return out;
}

std::vector<State> SearchPolicy::propose(int num_measure) {
  const int64_t internal_before = swallowed_internal_errors();
  std::vector<State> population = sample_initial_population(options_.population);
  // A task's first round measures the program an untuned network runs
  // (cpu_tiled_default.h) first, and evolves from it too: the search never ends
  // slower than no tuning at all (at 50 trials per task, a squeezenet_v1.1 conv
  // kept a program 2.3x slower than its default). Not in Ansor's exact space, which
  // the default's inner-tile reorder leaves.
  std::optional<State> rule_default;
  if (measured_.empty() && !task_.target.is_ansor_space() && (rule_default = cpu_tiled_default_state(task_)))
    population.push_back(*rule_default);
  // Seed the population with the best measured States.
  int use_measured = std::min<int>(static_cast<int>(best_.size()),
                                   static_cast<int>(options_.use_measured_ratio * options_.population));
  for (int i = 0; i < use_measured; ++i) population.push_back(best_[i].second);

  int num_random = static_cast<int>(options_.eps_greedy * num_measure);
  SearchOptions options = options_;
  options.num_iterations = num_iterations();
  std::vector<State> best =
      evolutionary_search(task_, options, population, 2 * num_measure, *model_, measured_, rng_, &stats_);

  std::vector<State> out;
  std::unordered_set<std::string> chosen;
  auto take = [&](const State& s) {
    std::string key = s.canonical_string();
    if (measured_.count(key) || !chosen.insert(key).second) return;
    out.push_back(s);
  };
  if (rule_default) take(*rule_default);
  if (options_.explore_sketches)
    for (const auto& s : best_per_sketch(best, population, num_measure - num_random)) take(s);
  for (const auto& s : best) {
    if (static_cast<int>(out.size()) >= num_measure - num_random) break;
    take(s);
  }
  // Epsilon-greedy: random States from the initial population, then fill up.
  std::vector<State> randoms = population;
  std::shuffle(randoms.begin(), randoms.end(), rng_);
  for (const auto& s : randoms) {
    if (static_cast<int>(out.size()) >= num_measure) break;
    take(s);
  }
  for (const auto& s : best) {
    if (static_cast<int>(out.size()) >= num_measure) break;
    take(s);
  }
  stats_.internal_errors += swallowed_internal_errors() - internal_before;
  return out;
}

void SearchPolicy::observe(const std::vector<State>& states, const std::vector<runtime::MeasureResult>& results,
                           bool train_model) {
  BCD_CHECK(states.size() == results.size(), "{} states, {} results", states.size(), results.size());
  std::vector<costmodel::TrainingSample> samples;
  std::vector<costmodel::ProgramFeatures> features;
  if (train_model) features = featurize(states, task_.target);
  double flops = task_.dag.flop_count();
  for (size_t i = 0; i < states.size(); ++i) {
    measured_.insert(states[i].canonical_string());
    double throughput = 0;
    if (results[i].error == runtime::MeasureError::None && !results[i].costs.empty())
      throughput = flops / std::max(results[i].mean_cost(), 1e-12);
    if (throughput > 0) best_.emplace_back(throughput, states[i]);
    if (train_model) samples.push_back({std::move(features[i]), task_.workload_key(), throughput});
  }
  std::stable_sort(best_.begin(), best_.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (best_.size() > 256) best_.erase(best_.begin() + 256, best_.end());
  if (train_model && !samples.empty()) {
    auto start = std::chrono::steady_clock::now();
    model_->update(samples);
    stats_.train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
}

}  // namespace bcd::search
