// The diffusion strategy on a hand-built cluster of three conv2d+bias+relu tasks:
// the prior phase tunes the representative, every posterior then samples only
// States of the prior's sketch (which compute the right function) and evolves
// them and the rule-chosen default its first round measured, searches with
// the reduced settings, and the shared cost model keeps growing from the priors;
// with --release-after-rounds, a reduced task that stalls searches as Ansor does,
// and with --release-below-rate a posterior far slower than its representative;
// with --prior-per-sketch a posterior searches every sketch the representative
// measured; with the posterior floor every reduced task gets an open round up to
// Ansor's warm-up; with posterior first measures a reduced task's first round is
// that size.
#include "diffusion/diffusion_tuner.h"
#include "diffusion/presets.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "costmodel/cost_model.h"
#include "search/sketch_signature.h"
#include "ops/nn.h"
#include "search/annotation_rules.h"
#include "search/cpu_tiled_default.h"
#include "search/sketch_rules.h"

namespace bcd::diffusion {
namespace {

search::SearchTask conv_task(int64_t c, int64_t o, int64_t hw) {
  ir::Tensor data = ir::placeholder({1, c, hw, hw}, "data");
  ir::Tensor weight = ir::placeholder({o, c, 3, 3}, "weight");
  ir::Tensor bias = ir::placeholder({o}, "bias");
  ops::Conv2DAttrs attrs;
  attrs.padding = {1, 1, 1, 1};
  ir::Tensor out = ops::relu(ops::bias_add(ops::conv2d(data, weight, attrs), bias, 1));
  search::SearchTask t{ir::ComputeDAG({data, weight, bias}, {out})};
  t.target.hardware.num_cores = 2;
  return t;
}

tuning::ScheduledTask scheduled(const std::string& name, search::SearchTask task,
                                std::shared_ptr<costmodel::CostModel> model, uint64_t seed) {
  search::SearchOptions so;
  so.population = 64;
  tuning::ScheduledTask t;
  t.name = name;
  t.policy = std::make_unique<search::SearchPolicy>(std::move(task), model, so, seed);
  tuning::MeasureOptions mo;
  mo.runner.repeat = 1;
  mo.verify_all = true;  // every diffused candidate is checked against the unscheduled program
  t.measurer = std::make_unique<tuning::TaskMeasurer>(t.policy->task(), mo);
  return t;
}

// One operator cluster of three convs of different shapes.
std::vector<tuning::ScheduledTask> three_conv_cluster(const std::shared_ptr<costmodel::CostModel>& model) {
  std::vector<tuning::ScheduledTask> tasks;
  tasks.push_back(scheduled("conv2d_add_relu", conv_task(8, 16, 14), model, 1));
  tasks.push_back(scheduled("conv2d_add_relu_1", conv_task(16, 16, 12), model, 2));
  tasks.push_back(scheduled("conv2d_add_relu_2", conv_task(8, 24, 10), model, 3));
  return tasks;
}

// The cluster under a scheduler that measures `per_round` candidates a round.
tuning::TaskScheduler cluster_scheduler(const std::shared_ptr<costmodel::CostModel>& model, int per_round = 4) {
  tuning::SchedulerOptions so;
  so.num_measures_per_round = per_round;
  return tuning::TaskScheduler(three_conv_cluster(model), so, nullptr, nullptr);
}

// The cluster and a conv of its own cluster (task 3), 4 measures a round.
tuning::TaskScheduler cluster_and_singleton_scheduler(const std::shared_ptr<costmodel::CostModel>& model) {
  tuning::SchedulerOptions so;
  so.num_measures_per_round = 4;
  std::vector<tuning::ScheduledTask> tasks = three_conv_cluster(model);
  tasks.push_back(scheduled("conv2d_add", conv_task(8, 8, 8), model, 4));
  return tuning::TaskScheduler(std::move(tasks), so, nullptr, nullptr);
}

// The signatures of the sketches (of `sketches`) `states` come from.
std::set<std::string> sketches_of(const std::vector<schedule::State>& states,
                                  const std::vector<schedule::State>& sketches) {
  std::set<std::string> out;
  for (const auto& s : states) {
    std::optional<int> k = search::sketch_of(s.history(), sketches);
    out.insert(k ? search::sketch_signature(sketches[*k]) : "none");
  }
  return out;
}

TEST(DiffusionTuner, PosteriorsStartFromThePriorsSketchAndTheModelKeepsGrowing) {
  if (!costmodel::xgboost_available()) GTEST_SKIP() << "built without XGBoost";
  std::shared_ptr<costmodel::CostModel> model = costmodel::make_xgboost_model();
  tuning::TaskScheduler scheduler = cluster_scheduler(model);

  DiffusionOptions o = diffusion_preset("artifact");
  // Prior: min(3, 10) = 3 rounds of 4; posterior warm-up: 2 rounds of 2.
  DiffusionReport report = tune_with_diffusion(scheduler, o, 16);
  ASSERT_EQ(report.clusters.size(), 1u);
  const int rep = report.clusters[0].representative;
  EXPECT_EQ(report.prior_trials, 12);
  EXPECT_EQ(scheduler.progress(rep).trials, 12);
  EXPECT_EQ(report.posterior_tasks, 2);
  EXPECT_EQ(scheduler.total_trials(), 16);
  EXPECT_GT(report.model_trees_after_prior, 0);
  EXPECT_GT(model->num_trees(), report.model_trees_after_prior);  // continued, not restarted

  auto& prior_policy = *scheduler.task(rep).policy;
  ASSERT_NE(prior_policy.best_state(), nullptr);
  std::optional<int> prior_sketch = search::sketch_of(prior_policy.best_state()->history(), prior_policy.sketches());
  ASSERT_TRUE(prior_sketch);
  std::string signature = search::sketch_signature(prior_policy.sketches()[*prior_sketch]);
  EXPECT_EQ(prior_policy.options().num_iterations, 4);  // the representative keeps Ansor's settings

  for (int t = 0; t < scheduler.size(); ++t) {
    if (t == rep) continue;
    auto& policy = *scheduler.task(t).policy;
    EXPECT_EQ(scheduler.progress(t).trials, 2);
    EXPECT_EQ(scheduler.plan(t).measures_per_round, 2);
    EXPECT_EQ(policy.num_iterations(), 2);
    ASSERT_EQ(policy.sketches().size(), 1u);
    EXPECT_EQ(search::sketch_signature(policy.sketches()[0]), signature);
    std::vector<schedule::State> population = policy.sample_initial_population(40);
    ASSERT_GE(population.size(), 30u);
    for (const auto& s : population) EXPECT_EQ(search::sketch_of(s.history(), policy.sketches()), std::optional<int>(0));
    // A sample of them computes the same function as the unscheduled program.
    std::vector<schedule::State> some(population.begin(), population.begin() + 6);
    for (const auto& r : scheduler.task(t).measurer->measure(some))
      EXPECT_NE(r.error, runtime::MeasureError::WrongAnswer) << r.error_message;
    // Proposals evolve from the prior's sketch, or from the rule-chosen default
    // the task's first round measured (search_policy.cpp); never from another
    // sketch of the task.
    std::optional<schedule::State> rule_default = search::cpu_tiled_default_state(policy.task());
    ASSERT_TRUE(rule_default);
    std::set<std::string> allowed = {signature};
    allowed.merge(sketches_of({*rule_default}, policy.all_sketches()));
    for (const auto& s : policy.propose(2))
      EXPECT_TRUE(allowed.count(*sketches_of({s}, policy.all_sketches()).begin())) << s.canonical_string();
  }
}

TEST(DiffusionTuner, WithPriorPerSketchPosteriorsSearchEverySketchTheRepresentativeMeasured) {
  auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
  tuning::TaskScheduler scheduler = cluster_scheduler(model);
  DiffusionOptions o = diffusion_preset("artifact");
  o.prior_per_sketch = true;
  DiffusionReport report = tune_with_diffusion(scheduler, o, 16);
  const int rep = report.clusters.at(0).representative;
  auto& prior_policy = *scheduler.task(rep).policy;
  std::set<std::string> measured = sketches_of(prior_policy.top_states(1000), prior_policy.sketches());
  ASSERT_GE(measured.size(), 2u);  // else the option would change nothing here
  ASSERT_FALSE(measured.count("none"));
  for (int t = 0; t < scheduler.size(); ++t) {
    if (t == rep) continue;
    auto& policy = *scheduler.task(t).policy;
    EXPECT_EQ(sketches_of(policy.sketches(), policy.sketches()), measured) << t;
    EXPECT_EQ(policy.sketches().size(), measured.size()) << t;
    std::vector<schedule::State> population = policy.sample_initial_population(60);
    ASSERT_GE(population.size(), 50u);
    EXPECT_EQ(sketches_of(population, policy.sketches()), measured) << t;  // every kept sketch is sampled
    std::vector<schedule::State> some(population.begin(), population.begin() + 6);
    for (const auto& r : scheduler.task(t).measurer->measure(some))
      EXPECT_NE(r.error, runtime::MeasureError::WrongAnswer) << r.error_message;
  }
}

TEST(DiffusionTuner, AnOpenFractionOfThePosteriorsPopulationIsDrawnFromEverySketchAsAnsorDraws) {
  for (double fraction : {0.0, 0.5}) {
    auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
    tuning::TaskScheduler scheduler = cluster_scheduler(model);
    DiffusionOptions o = diffusion_preset("artifact");  // posteriors keep the best prior's sketch only
    o.posterior_open_fraction = fraction;
    DiffusionReport report = tune_with_diffusion(scheduler, o, 16);
    const int rep = report.clusters.at(0).representative;
    for (int t = 0; t < scheduler.size(); ++t) {
      if (t == rep) continue;
      auto& policy = *scheduler.task(t).policy;
      ASSERT_EQ(policy.sketches().size(), 1u);
      const std::string prior = search::sketch_signature(policy.sketches()[0]);
      ASSERT_GE(policy.all_sketches().size(), 2u);
      std::vector<schedule::State> population = policy.sample_initial_population(100);
      ASSERT_GE(population.size(), 90u);
      int open = 0;  // States of a sketch the prior does not have: only an open draw makes them
      for (const auto& s : population) open += *sketches_of({s}, policy.all_sketches()).begin() != prior;
      if (fraction == 0) {
        EXPECT_EQ(open, 0) << t;
      } else {
        // Half the draws are open, and (n-1)/n of those land on another sketch.
        const double n = static_cast<double>(policy.all_sketches().size());
        const double expected = fraction * (n - 1) / n * static_cast<double>(population.size());
        EXPECT_GT(open, expected * 0.5) << t;
        EXPECT_LT(open, expected * 1.6) << t;
        // Both families compute the function of the unscheduled program.
        std::vector<schedule::State> some;
        for (const auto& s : population)
          if (some.size() < 8) some.push_back(s);
        for (const auto& r : scheduler.task(t).measurer->measure(some))
          EXPECT_NE(r.error, runtime::MeasureError::WrongAnswer) << r.error_message;
      }
    }
  }
}

TEST(DiffusionTuner, TopPerSketchKeepsTheFirstNOfEachSketchInRankOrder) {
  search::SearchTask task = conv_task(8, 16, 14);
  std::vector<schedule::State> sketches = search::generate_sketches(task);
  ASSERT_GE(sketches.size(), 2u);
  search::SearchOptions so;
  search::FactorizationCache cache;
  std::mt19937_64 rng(7);
  auto draw = [&](int k) { return search::annotate_sketch(task, so, sketches[k], cache, rng); };
  std::vector<schedule::State> ranked = {draw(1), draw(0), schedule::State(task.dag), draw(1),
                                         draw(1), draw(0), draw(0)};
  std::vector<schedule::State> top = top_per_sketch(ranked, sketches, 2);
  std::vector<int> expected = {0, 1, 3, 5};  // the third of each sketch and the State of none are dropped
  ASSERT_EQ(top.size(), expected.size());
  for (size_t i = 0; i < top.size(); ++i)
    EXPECT_EQ(top[i].canonical_string(), ranked[expected[i]].canonical_string()) << i;
  EXPECT_EQ(top_per_sketch(ranked, sketches, 1).size(), 2u);
}

TEST(DiffusionTuner, SingletonsGetTheReducedSearchUnlessAskedOtherwise) {
  auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
  for (bool reduce : {true, false}) {
    std::vector<tuning::ScheduledTask> tasks;
    tasks.push_back(scheduled("conv2d_add_relu", conv_task(8, 8, 8), model, 1));
    tuning::SchedulerOptions so;
    so.num_measures_per_round = 4;
    tuning::TaskScheduler scheduler(std::move(tasks), so, nullptr, nullptr);
    DiffusionOptions o = diffusion_preset("artifact");
    o.reduce_singletons = reduce;
    DiffusionReport report = tune_with_diffusion(scheduler, o, 4);
    EXPECT_EQ(report.singleton_tasks, 1);
    EXPECT_EQ(report.prior_trials, 0);
    EXPECT_EQ(scheduler.task(0).policy->num_iterations(), reduce ? 2 : 4);
    EXPECT_EQ(scheduler.plan(0).measures_per_round, reduce ? 2 : 0);  // 0: the scheduler's 4
    EXPECT_EQ(scheduler.total_trials(), 4);
    EXPECT_EQ(scheduler.progress(0).rounds, reduce ? 2 : 1);
  }
}

TEST(DiffusionTuner, ASmallBudgetCutsThePriorPhaseSoThatEveryTaskGetsARound) {
  auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
  tuning::TaskScheduler scheduler = cluster_and_singleton_scheduler(model);
  DiffusionOptions o = diffusion_preset("artifact");
  std::vector<std::string> warnings;
  // 3 trials per task: the prior phase plans 3 rounds of 4 (12 trials); the two
  // posteriors and the singleton keep back their first rounds (2 each), which
  // leaves the representative 6: a round of 4 and one cut to 2.
  DiffusionReport report =
      tune_with_diffusion(scheduler, o, 12, nullptr, [&](const std::string& l) { warnings.push_back(l); });
  EXPECT_EQ(scheduler.total_trials(), 12);
  EXPECT_EQ(report.prior_trials, 6);
  for (int t = 0; t < scheduler.size(); ++t) EXPECT_GT(scheduler.progress(t).trials, 0) << t;
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("leaves the prior phase 6 of the 12 trials"), std::string::npos) << warnings[0];
  // The whole phase (12) and the three first rounds (2 each) fit 18 trials: 5 per task.
  EXPECT_NE(warnings[0].find("--num-trials 5 or more"), std::string::npos) << warnings[0];

  // A budget that holds the whole phase warns of nothing.
  auto model2 = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
  tuning::TaskScheduler ample = cluster_scheduler(model2);
  warnings.clear();
  tune_with_diffusion(ample, o, 16, nullptr, [&](const std::string& l) { warnings.push_back(l); });
  EXPECT_TRUE(warnings.empty());
}

TEST(DiffusionTuner, AStallIsNoImprovementOverTheLastRounds) {
  tuning::TaskProgress p;
  p.best_history = {3.0};
  EXPECT_FALSE(tuning::stalled(p, 1));  // one round: nothing to compare with
  p.best_history = {3.0, 3.0};
  EXPECT_TRUE(tuning::stalled(p, 1));
  p.best_history = {3.0, 2.0, 2.0, 2.0};
  EXPECT_TRUE(tuning::stalled(p, 2));
  EXPECT_FALSE(tuning::stalled(p, 3));  // it improved three rounds ago
  p.best_history = {3.0, 2.0, 2.0, 1.5};
  EXPECT_FALSE(tuning::stalled(p, 1));
  EXPECT_FALSE(tuning::stalled(p, 0));
}

TEST(DiffusionTuner, AReleasedPosteriorSamplesEverySketchWithAnsorsInitialization) {
  auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
  search::SearchOptions so;
  search::SearchPolicy policy(conv_task(8, 16, 14), model, so, 1);
  const size_t all = policy.sketches().size();
  ASSERT_GE(all, 2u);
  int diffused = 0;
  search::SearchPlan plan;
  plan.sketches = {policy.sketches()[0]};
  plan.init_sampler = [&](const schedule::State& sketch, std::mt19937_64&) {
    ++diffused;
    return sketch;
  };
  policy.set_plan(plan);
  EXPECT_EQ(policy.sketches().size(), 1u);
  policy.sample_initial_population(4);
  EXPECT_GT(diffused, 0);

  policy.set_plan({});  // what the scheduler does on release
  diffused = 0;
  EXPECT_EQ(policy.sketches().size(), all);
  std::set<int> used;
  for (const auto& s : policy.sample_initial_population(40)) {
    std::optional<int> k = search::sketch_of(s.history(), policy.sketches());
    ASSERT_TRUE(k);
    used.insert(*k);
  }
  EXPECT_EQ(diffused, 0);
  EXPECT_GE(used.size(), 2u);
}

TEST(DiffusionTuner, TasksThatStallOnTheReducedSearchSearchAsAnsorDoesWhenAsked) {
  auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
  tuning::TaskScheduler scheduler = cluster_and_singleton_scheduler(model);
  const int singleton = 3;
  const int full_iterations = scheduler.task(0).policy->options().num_iterations;
  DiffusionOptions o = diffusion_preset("artifact");
  o.release_after_rounds = 1;
  ASSERT_NE(full_iterations, o.posterior_iterations);
  std::vector<std::string> lines;
  // Prior 12, warm-ups of 2, then rounds of 2 (reduced) or 4 (released).
  DiffusionReport report = tune_with_diffusion(scheduler, o, 44, [&](const std::string& l) { lines.push_back(l); });
  EXPECT_EQ(scheduler.total_trials(), 44);
  const int rep = report.clusters.at(0).representative;
  std::set<int> released(report.released.begin(), report.released.end());
  EXPECT_EQ(released.size(), report.released.size());  // each at most once
  EXPECT_FALSE(released.empty());
  for (int t = 0; t < scheduler.size(); ++t) {
    if (t == rep) continue;
    // Every round of a reduced task after its warm-up is checked, so one that ends
    // stalled has been released; a released one samples every sketch with Ansor's
    // iterations and measures, an unreleased posterior only its prior's sketch.
    if (tuning::stalled(scheduler.progress(t), 1)) {
      EXPECT_TRUE(released.count(t)) << t;
    }
    auto& policy = *scheduler.task(t).policy;
    const bool r = released.count(t) == 1;
    const size_t all = search::generate_sketches(policy.task()).size();
    EXPECT_EQ(policy.sketches().size(), r || t == singleton ? all : 1u) << t;
    EXPECT_EQ(policy.num_iterations(), r ? full_iterations : o.posterior_iterations) << t;
    EXPECT_EQ(scheduler.plan(t).measures_per_round, r ? 0 : 2) << t;
  }
  EXPECT_EQ(released.count(rep), 0u);
  int release_lines = 0;
  for (const auto& l : lines) release_lines += l.find("searches as Ansor does") != std::string::npos;
  EXPECT_EQ(release_lines, static_cast<int>(released.size()));
}

TEST(DiffusionTuner, PosteriorsSlowerThanTheirRepresentativeDropTheirPriorAfterTheWarmUp) {
  for (double fraction : {0.0, 1.0}) {
    auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
    tuning::TaskScheduler scheduler = cluster_scheduler(model);
    DiffusionOptions o = diffusion_preset("artifact");
    o.release_below_rate = fraction;
    std::vector<std::string> lines;
    // The budget ends with the warm-ups (prior 12, two posteriors of 2): the
    // representative's rate and each posterior's stay what they were at its check.
    DiffusionReport report = tune_with_diffusion(scheduler, o, 16, [&](const std::string& l) { lines.push_back(l); });
    ASSERT_EQ(scheduler.total_trials(), 16);
    const int rep = report.clusters.at(0).representative;
    std::set<int> released(report.released.begin(), report.released.end());
    auto rate = [&](int t) {
      return scheduler.task(t).policy->task().dag.flop_count() / scheduler.progress(t).best_seconds;
    };
    ASSERT_GT(rate(rep), 0);
    for (int t = 0; t < scheduler.size(); ++t) {
      if (t == rep) continue;
      ASSERT_EQ(scheduler.progress(t).rounds, 1) << t;
      // Released exactly when its rate is below the fraction of the representative's.
      EXPECT_EQ(released.count(t) == 1, rate(t) < fraction * rate(rep)) << t << ": " << rate(t) << " vs " << rate(rep);
      EXPECT_EQ(scheduler.task(t).policy->sketches().size(),
                released.count(t) ? search::generate_sketches(scheduler.task(t).policy->task()).size() : 1u)
          << t;
      EXPECT_EQ(scheduler.plan(t).measures_per_round, released.count(t) ? 0 : 2) << t;
    }
    EXPECT_FALSE(released.count(rep));
    int release_lines = 0;
    for (const auto& l : lines) release_lines += l.find("FLOP rate of task") != std::string::npos;
    EXPECT_EQ(release_lines, static_cast<int>(released.size()));
  }
}

TEST(DiffusionTuner, WithTheFloorEveryReducedTaskIsToppedUpToAnsorsWarmUpByAnOpenRound) {
  auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
  tuning::TaskScheduler scheduler = cluster_and_singleton_scheduler(model);
  const int singleton = 3;
  const int full_iterations = scheduler.task(0).policy->options().num_iterations;
  DiffusionOptions o = diffusion_preset("artifact");  // never released: every round keeps its plan
  o.posterior_floor = true;
  ASSERT_NE(full_iterations, o.posterior_iterations);
  // What each round searched with, seen while it runs.
  struct Round {
    int task, measured;
    bool open;
    size_t sketches;
  };
  std::vector<Round> rounds;
  scheduler.set_on_round([&](const tuning::SchedulerRound& r) {
    auto& policy = *scheduler.task(r.task).policy;
    rounds.push_back({r.task, r.measured, scheduler.plan(r.task).is_default(), policy.sketches().size()});
    EXPECT_EQ(policy.num_iterations(), rounds.back().open ? full_iterations : o.posterior_iterations) << r.task;
  });
  // 6 trials per task: the prior phase's 3 rounds of 4 (12) and three full rounds
  // kept back (4 each) fill it; each reduced task measures a posterior round of 2
  // and an open round of the other 2.
  DiffusionReport report = tune_with_diffusion(scheduler, o, 24);
  EXPECT_EQ(scheduler.total_trials(), 24);
  EXPECT_EQ(report.prior_trials, 12);
  EXPECT_EQ(report.floor_trials, 6);
  const int rep = report.clusters.at(0).representative;
  for (int t = 0; t < scheduler.size(); ++t) {
    if (t == rep) continue;
    EXPECT_EQ(scheduler.progress(t).trials, 4) << t;
    std::vector<Round> own;
    for (const Round& r : rounds)
      if (r.task == t) own.push_back(r);
    ASSERT_EQ(own.size(), 2u) << t;
    EXPECT_FALSE(own[0].open) << t;
    EXPECT_EQ(own[0].measured, 2) << t;
    EXPECT_TRUE(own[1].open) << t;
    EXPECT_EQ(own[1].measured, 2) << t;
    EXPECT_EQ(own[1].sketches, scheduler.task(t).policy->all_sketches().size()) << t;  // every sketch
    if (t != singleton) {
      EXPECT_EQ(own[0].sketches, 1u) << t;  // the prior's sketch
    }
    // Then back on its own reduced search.
    EXPECT_FALSE(scheduler.plan(t).is_default()) << t;
    EXPECT_EQ(scheduler.plan(t).measures_per_round, 2) << t;
    EXPECT_EQ(scheduler.task(t).policy->num_iterations(), o.posterior_iterations) << t;
  }
}

TEST(DiffusionTuner, WithTheSingletonFloorOnlyReducedSingletonsAreToppedUp) {
  auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
  tuning::TaskScheduler scheduler = cluster_and_singleton_scheduler(model);
  const int singleton = 3;
  DiffusionOptions o = diffusion_preset("artifact");
  o.singleton_floor = true;
  std::map<int, std::vector<std::pair<int, bool>>> rounds;  // task -> each round's measurements, open or not
  scheduler.set_on_round([&](const tuning::SchedulerRound& r) {
    rounds[r.task].push_back({r.measured, scheduler.plan(r.task).is_default()});
  });
  // 5 trials per task: the singleton's full round (4) and the posteriors' rounds (2
  // each) kept back leave the prior phase its 3 rounds of 4 (12); then a posterior
  // round of 2 for each reduced task (6) and an open round of 2 for the singleton.
  DiffusionReport report = tune_with_diffusion(scheduler, o, 20);
  EXPECT_EQ(scheduler.total_trials(), 20);
  EXPECT_EQ(report.prior_trials, 12);
  EXPECT_EQ(report.floor_trials, 2);
  const int rep = report.clusters.at(0).representative;
  for (int t = 0; t < scheduler.size(); ++t) {
    if (t == rep) continue;
    using Rounds = std::vector<std::pair<int, bool>>;
    const Rounds expected = t == singleton ? Rounds{{2, false}, {2, true}} : Rounds{{2, false}};
    EXPECT_EQ(rounds[t], expected) << t;
  }
}

TEST(DiffusionTuner, PosteriorFirstMeasuresSizesTheFirstRoundOfEveryReducedTask) {
  // {first measures, budget}: with 1, the three reduced tasks' first rounds take 3
  // trials after the prior phase's 12; without it, a posterior round's 2 each.
  for (auto [first, budget] : {std::pair{1, 15}, std::pair{0, 18}}) {
    auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
    tuning::TaskScheduler scheduler = cluster_and_singleton_scheduler(model);
    DiffusionOptions o = diffusion_preset("artifact");
    o.posterior_first_measures = first;
    std::map<int, std::vector<int>> measured;  // task -> each round's measurements
    scheduler.set_on_round([&](const tuning::SchedulerRound& r) { measured[r.task].push_back(r.measured); });
    DiffusionReport report = tune_with_diffusion(scheduler, o, budget);
    EXPECT_EQ(report.prior_trials, 12) << first;
    EXPECT_EQ(scheduler.total_trials(), budget) << first;
    const int rep = report.clusters.at(0).representative;
    for (int t = 0; t < scheduler.size(); ++t) {
      if (t == rep) continue;
      EXPECT_EQ(measured[t], std::vector<int>{first > 0 ? first : 2}) << first << " " << t;
      EXPECT_EQ(scheduler.plan(t).measures_per_round, 2) << t;  // later rounds are the posterior's
    }
  }
}

}  // namespace
}  // namespace bcd::diffusion
