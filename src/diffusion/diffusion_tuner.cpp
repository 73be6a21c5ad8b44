#include "diffusion/diffusion_tuner.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include "diffusion/posterior_sampler.h"
#include "search/sketch_signature.h"
#include "graph/tasks.h"
#include "search/annotation_rules.h"
#include "search/sketch_rules.h"
#include "support/error.h"

namespace bcd::diffusion {

std::string unit_loop_pattern(const ir::ComputeDAG& dag) {
  std::string out;
  auto append = [&out](const std::vector<ir::IterVar>& loops) {
    for (const auto& v : loops) out += v.extent == 1 ? '1' : 'n';
  };
  for (const auto& op : dag.ops()) {
    if (!op->is_compute() || !op->has_reduce()) continue;
    if (!out.empty()) out += '/';
    append(op->axes);
    out += '.';
    append(op->reduce_axes);
  }
  return out;
}

std::string cluster_key(GroupType type, const std::string& task_name, const ir::ComputeDAG& dag,
                        const std::vector<schedule::State>& sketches, search::StageNaming naming) {
  if (type == GroupType::Operator) return graph::strip_task_suffix(task_name);
  std::string sketch =
      sketches.empty() ? std::string("no-sketch") : search::sketch_signature(sketches.front(), naming);
  return type == GroupType::Loops ? sketch + ":" + unit_loop_pattern(dag) : sketch;
}

std::vector<int64_t> workload_shape_vector(const ir::ComputeDAG& dag) {
  std::vector<int64_t> out;
  for (const auto& t : dag.inputs()) out.insert(out.end(), t->shape.begin(), t->shape.end());
  for (const auto& t : dag.outputs()) out.insert(out.end(), t->shape.begin(), t->shape.end());
  return out;
}

namespace {

// Clusters `n` tasks; `sketches(i)` is asked for only when the kind needs them.
std::vector<Cluster> cluster_by(GroupType type, search::StageNaming naming, int n,
                                const std::function<std::string(int)>& name,
                                const std::function<const ir::ComputeDAG&(int)>& dag,
                                const std::function<std::vector<schedule::State>(int)>& sketches) {
  std::vector<std::string> keys;
  std::vector<std::vector<int64_t>> shapes;
  for (int i = 0; i < n; ++i) {
    keys.push_back(cluster_key(type, name(i), dag(i),
                               type == GroupType::Operator ? std::vector<schedule::State>{} : sketches(i), naming));
    shapes.push_back(workload_shape_vector(dag(i)));
  }
  return cluster_tasks(keys, shapes);
}

}  // namespace

std::vector<Cluster> cluster_scheduled_tasks(tuning::TaskScheduler& scheduler, GroupType type,
                                             search::StageNaming naming) {
  return cluster_by(
      type, naming, scheduler.size(), [&](int t) { return scheduler.task(t).name; },
      [&](int t) -> const ir::ComputeDAG& { return scheduler.task(t).policy->task().dag; },
      [&](int t) { return scheduler.task(t).policy->all_sketches(); });
}

std::vector<Cluster> cluster_network_tasks(const std::vector<const graph::Task*>& tasks, GroupType type,
                                           const Target& target, search::StageNaming naming) {
  return cluster_by(
      type, naming, static_cast<int>(tasks.size()), [&](int t) { return tasks[t]->name; },
      [&](int t) -> const ir::ComputeDAG& { return *tasks[t]->dag; },
      [&](int t) { return search::generate_sketches(search::SearchTask(*tasks[t]->dag, target)); });
}

std::vector<schedule::State> top_per_sketch(const std::vector<schedule::State>& ranked,
                                            const std::vector<schedule::State>& sketches, int n) {
  std::vector<schedule::State> out;
  std::map<int, int> taken;  // sketch -> States kept from it
  for (const auto& s : ranked) {
    std::optional<int> k = search::sketch_of(s.history(), sketches);
    if (k && taken[*k]++ < n) out.push_back(s);
  }
  return out;
}

namespace {

int posterior_measures(const tuning::TaskScheduler& scheduler, const DiffusionOptions& o) {
  return std::max(1, static_cast<int>(std::lround(scheduler.options().num_measures_per_round *
                                                  o.posterior_measure_fraction)));
}

// What the first round of a task on the reduced search measures.
int posterior_first_round(const tuning::TaskScheduler& scheduler, const DiffusionOptions& o) {
  const int round = posterior_measures(scheduler, o);
  return o.posterior_first_measures > 0 ? std::min(o.posterior_first_measures, round) : round;
}

// The reduced search of a posterior or a singleton: the posterior's iterations
// and measures, and the release rule of the options.
tuning::TaskPlan reduced_plan(const tuning::TaskScheduler& scheduler, const std::string& label,
                              const DiffusionOptions& o) {
  tuning::TaskPlan plan;
  plan.label = label;
  plan.search.num_iterations = o.posterior_iterations;
  plan.measures_per_round = posterior_measures(scheduler, o);
  plan.release.after_stalled_rounds = o.release_after_rounds;
  return plan;
}

// Adds to `plan` (task `t`'s reduced search) the posterior of the prior States
// `priors` (best first, of task `representative` of its cluster): its sketches are
// those of the priors it keeps (the best prior's, or with `prior_per_sketch`
// every prior's), each sampled from diffused States of its own priors. Priors
// whose sketch the task lacks leave its sketches alone, as Ansor's.
void add_posterior(tuning::TaskScheduler& scheduler, int t, int representative,
                   const std::vector<schedule::State>& priors, const std::vector<schedule::State>& prior_sketches,
                   const DiffusionOptions& o, tuning::TaskPlan& plan) {
  search::SearchPolicy& policy = *scheduler.task(t).policy;
  plan.release.reference = representative;
  plan.release.below_rate = o.release_below_rate;
  const search::StageNaming naming = o.stage_naming;
  std::optional<int> best_sketch = search::sketch_of(priors.front().history(), prior_sketches);
  std::map<std::string, std::vector<PriorSchedule>> by_signature;  // sketch signature -> its priors
  std::vector<PriorSchedule> fallback;  // for a sketch without priors: the best prior's
  for (const auto& p : priors) {
    std::optional<int> k = search::sketch_of(p.history(), prior_sketches);
    if (!best_sketch) {
      fallback.push_back(prior_schedule(p, naming));
    } else if (k && (k == best_sketch || o.prior_per_sketch)) {
      by_signature[search::sketch_signature(prior_sketches[*k], naming)].push_back(prior_schedule(p, naming));
    }
  }
  if (best_sketch) {
    fallback = by_signature[search::sketch_signature(prior_sketches[*best_sketch], naming)];
    std::vector<schedule::State> kept;  // the first of the task's sketches with each prior signature
    std::set<std::string> seen;
    for (const auto& sketch : policy.all_sketches()) {
      std::string signature = search::sketch_signature(sketch, naming);
      if (by_signature.count(signature) && seen.insert(signature).second) kept.push_back(sketch);
    }
    plan.search.sketches = std::move(kept);
  }
  auto cache = std::make_shared<search::FactorizationCache>();
  search::SearchPolicy* p = &policy;
  SplitRuleWeights weights = o.split_rules;
  double unroll_copy_rate = o.unroll_copy_rate;
  double open_fraction = o.posterior_open_fraction;
  // A copy: the sampler runs on several threads, and all_sketches() fills its cache lazily.
  std::vector<schedule::State> every_sketch = policy.all_sketches();
  plan.search.init_sampler = [p, by_signature, fallback, weights, cache, unroll_copy_rate, open_fraction,
                              every_sketch, naming](const schedule::State& sketch, std::mt19937_64& rng) {
    if (open_fraction > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < open_fraction) {
      const auto& any = every_sketch[std::uniform_int_distribution<size_t>(0, every_sketch.size() - 1)(rng)];
      return search::annotate_sketch(p->task(), p->options(), any, *cache, rng);
    }
    auto it = by_signature.size() > 1 ? by_signature.find(search::sketch_signature(sketch, naming))
                                      : by_signature.end();
    const auto& schedules = it != by_signature.end() ? it->second : fallback;
    return diffuse_state(p->task(), p->options(), sketch, schedules, weights, *cache, rng, unroll_copy_rate);
  };
}

// Each task's share of the budget: what Ansor's warm-up limits a first round to.
int share_of(const tuning::TaskScheduler& scheduler, int budget) { return std::max(1, budget / scheduler.size()); }

// What task `t` measures before the gradient scheduler when it is not a
// representative in its prior phase: a first round, of the scheduler's measures
// for a representative (and, with full singletons, a singleton) and of the
// posterior's first round for every other task, or a full round for every task the
// floor tops up. No more than the task's share of the budget.
int first_round(const tuning::TaskScheduler& scheduler, const Cluster& c, int t, const DiffusionOptions& o, int budget) {
  const bool singleton = c.members.size() < 2;
  bool full = o.posterior_floor || (singleton && o.singleton_floor) ||
              (singleton ? !o.reduce_singletons : t == c.representative);
  int measures = full ? scheduler.options().num_measures_per_round : posterior_first_round(scheduler, o);
  return std::min(measures, share_of(scheduler, budget));
}

// Tunes the representatives' prior rounds, one round of each at a time, without
// spending what the other tasks need for their first rounds: whenever the budget
// allows it, every task of the network is measured at least once, as with
// Ansor's warm-up. `warn` hears up front when the budget cuts the phase short.
void run_prior_phase(tuning::TaskScheduler& scheduler, const std::vector<Cluster>& clusters,
                     const DiffusionOptions& o, int budget, const std::function<void(const std::string&)>& warn) {
  const int per_round = scheduler.options().num_measures_per_round;
  std::vector<int> reserve(scheduler.size(), 0);  // kept back for each unmeasured task's first round
  std::vector<std::pair<int, int>> priors;        // representative, the trials its prior rounds reach
  int planned = 0;        // prior trials still to measure
  int others = 0;         // kept back for the tasks without a prior phase
  int others_full = 0;    // the same, were the budget large
  for (const Cluster& c : clusters) {
    const bool has_prior = c.members.size() >= 2;
    for (int t : c.members) {
      if (scheduler.progress(t).trials > 0) continue;
      reserve[t] = first_round(scheduler, c, t, o, budget);
      if (has_prior && t == c.representative) continue;
      others += reserve[t];
      others_full += first_round(scheduler, c, t, o, std::numeric_limits<int>::max());
    }
    if (!has_prior) continue;
    int target = std::min(static_cast<int>(c.members.size()), o.max_prior_rounds) * per_round;
    priors.emplace_back(c.representative, target);
    planned += std::max(0, target - scheduler.progress(c.representative).trials);
  }
  auto reserved_but = [&](int t) {
    int sum = 0;
    for (int u = 0; u < scheduler.size(); ++u)
      if (u != t && scheduler.progress(u).trials == 0) sum += reserve[u];
    return sum;
  };
  const int available = budget - scheduler.total_trials() - others;
  if (warn && planned > 0 && available < planned) {
    const int n = scheduler.size();
    warn(fmt::format("a budget of {} trials leaves the prior phase {} of the {} trials it plans ({} representatives, "
                     "up to {} rounds of {}); every task still gets a round (use --num-trials {} or more for the "
                     "whole prior phase)",
                     budget, std::max(0, available), planned, priors.size(), o.max_prior_rounds, per_round,
                     (scheduler.total_trials() + planned + others_full + n - 1) / n));
  }
  for (bool tuned = true; tuned;) {
    tuned = false;
    for (const auto& [rep, target] : priors) {
      if (scheduler.progress(rep).trials >= target || scheduler.progress(rep).dead) continue;
      int allowed = budget - scheduler.total_trials() - reserved_but(rep);
      if (allowed <= 0) continue;
      if (scheduler.tune_round(rep, std::min(per_round, allowed))) tuned = true;
    }
  }
}

// Gives each of `tasks` that has fewer trials than Ansor's warm-up gives a task
// (a full round, at most its share of the budget) an open round for the rest:
// Ansor's plan for one round, then its own plan again. Returns the trials spent.
int top_up_to_warm_up(tuning::TaskScheduler& scheduler, const std::vector<int>& tasks, int budget) {
  const int floor = std::min(scheduler.options().num_measures_per_round, share_of(scheduler, budget));
  const int before = scheduler.total_trials();
  for (int t : tasks) {
    const int missing = floor - scheduler.progress(t).trials;
    const int left = budget - scheduler.total_trials();
    if (left <= 0) break;
    if (missing <= 0 || scheduler.progress(t).dead) continue;
    tuning::TaskPlan own = scheduler.plan(t);
    scheduler.set_plan(t, tuning::TaskPlan{});
    scheduler.tune_round(t, std::min(missing, left));
    if (!own.is_default()) scheduler.set_plan(t, std::move(own));
  }
  return scheduler.total_trials() - before;
}

}  // namespace

DiffusionReport tune_with_diffusion(tuning::TaskScheduler& scheduler, const DiffusionOptions& o, int budget,
                                    const std::function<void(const std::string&)>& log,
                                    const std::function<void(const std::string&)>& warn) {
  auto say = [&](const std::string& line) {
    if (log) log(line);
  };
  DiffusionReport report;
  report.clusters = cluster_scheduled_tasks(scheduler, o.group_type, o.stage_naming);
  // Prior phase: each cluster's representative, min(size, cap) full rounds, one
  // round of each representative at a time, within what the budget leaves after
  // keeping back every other task's first round.
  say(fmt::format("diffusion: {} tasks in {} {} clusters; prior phase", scheduler.size(), report.clusters.size(),
                  group_type_name(o.group_type)));
  int before = scheduler.total_trials();
  run_prior_phase(scheduler, report.clusters, o, budget, warn);
  report.prior_trials = scheduler.total_trials() - before;
  report.model_trees_after_prior = scheduler.task(0).policy->model().num_trees();

  // Posterior set-up: a plan per task, which the scheduler applies and, when its
  // release rule fires, replaces with Ansor's search (keeping the reduced search
  // made released tasks end worse than Ansor's in session 8's measurement).
  std::vector<int> posteriors;  // and reduced singletons
  std::vector<int> singletons;
  for (const Cluster& c : report.clusters) {
    if (c.members.size() < 2) {
      if (o.reduce_singletons) scheduler.set_plan(c.members[0], reduced_plan(scheduler, "reduced singleton", o));
      ++report.singleton_tasks;
      posteriors.push_back(c.members[0]);
      singletons.push_back(c.members[0]);
      continue;
    }
    search::SearchPolicy& rep = *scheduler.task(c.representative).policy;
    std::vector<schedule::State> priors =
        o.prior_per_sketch
            ? top_per_sketch(rep.top_states(std::numeric_limits<int>::max()), rep.all_sketches(), o.top_n)
            : rep.top_states(o.top_n);
    for (int m : c.members) {
      if (m == c.representative) continue;
      posteriors.push_back(m);
      if (priors.empty()) {  // the prior never measured: plain reduced search
        scheduler.set_plan(m, reduced_plan(scheduler, "reduced (no prior)", o));
        continue;
      }
      tuning::TaskPlan plan =
          reduced_plan(scheduler, fmt::format("posterior of {}", scheduler.task(c.representative).name), o);
      add_posterior(scheduler, m, c.representative, priors, rep.all_sketches(), o, plan);
      scheduler.set_plan(m, std::move(plan));
      ++report.posterior_tasks;
    }
  }
  say(fmt::format("diffusion: prior phase done ({} trials, cost model {} trees); {} posterior tasks, {} singletons",
                  report.prior_trials, report.model_trees_after_prior, report.posterior_tasks,
                  report.singleton_tasks));
  scheduler.set_on_release([&](int t, const std::string& why) {
    report.released.push_back(t);
    say(fmt::format("diffusion: task {} {} {}; it searches as Ansor does", t, scheduler.task(t).name, why));
  });

  // Posterior warm-up, then the gradient scheduler over every task.
  std::sort(posteriors.begin(), posteriors.end());
  for (int t : posteriors) {
    if (scheduler.total_trials() >= budget) break;
    if (scheduler.progress(t).trials > 0 || scheduler.progress(t).dead) continue;
    int measures = std::min(share_of(scheduler, budget), budget - scheduler.total_trials());
    if (!scheduler.plan(t).is_default()) measures = std::min(measures, posterior_first_round(scheduler, o));
    scheduler.tune_round(t, measures);
  }
  std::sort(singletons.begin(), singletons.end());
  if (o.posterior_floor || o.singleton_floor)
    report.floor_trials = top_up_to_warm_up(scheduler, o.posterior_floor ? posteriors : singletons, budget);
  if (report.floor_trials > 0)
    say(fmt::format("diffusion: open rounds topped the reduced {} up to Ansor's warm-up ({} trials)",
                    o.posterior_floor ? "tasks" : "singletons", report.floor_trials));
  scheduler.tune(budget);
  scheduler.set_on_release(nullptr);
  return report;
}

}  // namespace bcd::diffusion
