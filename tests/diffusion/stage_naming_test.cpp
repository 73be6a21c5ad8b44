// Stages named by role (search::StageNaming::Role): dense tasks that differ only in
// their elementwise epilogue (bert's bias add, bias + residual add, bias + GELU)
// have one sketch signature, so they share a cluster and a posterior finds its
// prior's sketch among its own; named by operation (the artifact's way) they
// differ. The epilogue stage only follows the anchor's splits, so a posterior
// diffused from a prior with another epilogue takes every tile and unroll depth.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "costmodel/cost_model.h"
#include "diffusion/diffusion_tuner.h"
#include "diffusion/posterior_sampler.h"
#include "ops/nn.h"
#include "search/annotation_rules.h"
#include "search/sketch_rules.h"
#include "search/sketch_signature.h"
#include "support/error.h"

namespace bcd::diffusion {
namespace {

using schedule::Step;
using schedule::StepKind;
using search::StageNaming;

enum class Epilogue { Bias, BiasResidual, BiasGelu };

// data 16x64 times weight 32x64, then the epilogue: the shapes of all three agree.
search::SearchTask dense_task(Epilogue epilogue) {
  ir::Tensor data = ir::placeholder({16, 64}, "data");
  ir::Tensor weight = ir::placeholder({32, 64}, "weight");
  ir::Tensor bias = ir::placeholder({32}, "bias");
  std::vector<ir::Tensor> inputs = {data, weight, bias};
  ir::Tensor out = ops::bias_add(ops::dense(data, weight), bias, 1);
  if (epilogue == Epilogue::BiasResidual) {
    ir::Tensor residual = ir::placeholder({16, 32}, "residual");
    inputs.push_back(residual);
    out = ops::add(out, residual);
  }
  if (epilogue == Epilogue::BiasGelu) out = ops::gelu(out);
  search::SearchTask t{ir::ComputeDAG(inputs, {out})};
  t.target.hardware.num_cores = 2;
  return t;
}

std::vector<std::string> signatures(const search::SearchTask& task, StageNaming naming) {
  std::vector<std::string> out;
  for (const auto& sketch : search::generate_sketches(task)) out.push_back(search::sketch_signature(sketch, naming));
  return out;
}

TEST(StageNaming, DenseTasksDifferingOnlyInTheirEpilogueAgreeByRoleNotByOperation) {
  const search::SearchTask bias = dense_task(Epilogue::Bias);
  for (Epilogue other : {Epilogue::BiasResidual, Epilogue::BiasGelu}) {
    const search::SearchTask task = dense_task(other);
    EXPECT_NE(task.dag.description(), bias.dag.description());
    EXPECT_NE(signatures(task, StageNaming::Operation), signatures(bias, StageNaming::Operation));
    EXPECT_EQ(signatures(task, StageNaming::Role), signatures(bias, StageNaming::Role));
    const auto key = [](const search::SearchTask& t, StageNaming naming) {
      return cluster_key(GroupType::Loops, t.dag.description(), t.dag, search::generate_sketches(t), naming);
    };
    EXPECT_NE(key(task, StageNaming::Operation), key(bias, StageNaming::Operation));
    EXPECT_EQ(key(task, StageNaming::Role), key(bias, StageNaming::Role));
  }
}

TEST(StageNaming, AnOperatorsOwnStagesKeepTheirNamesByRole) {
  // Only an elementwise output is renamed: the dense stage (a reduction) is not.
  const search::SearchTask task = dense_task(Epilogue::BiasGelu);
  schedule::State state(task.dag);
  int outputs = 0, dense = 0;
  for (int id = 0; id < state.num_stages(); ++id) {
    const std::string by_role = search::stage_key(state, id, StageNaming::Role);
    const std::string by_operation = search::stage_key(state, id, StageNaming::Operation);
    if (state.stage(id).output_index >= 0) {
      EXPECT_EQ(by_role, "output#0");
      EXPECT_NE(by_operation, by_role);
      ++outputs;
    } else {
      EXPECT_EQ(by_role, by_operation);
      dense += state.stage(id).op->has_reduce();
    }
  }
  EXPECT_EQ(outputs, 1);
  EXPECT_EQ(dense, 1);
}

// What a diffused State took from its prior: splits and unroll pragmas with the
// prior's values (matched by stage key under the prior's naming), and those whose
// stage has no counterpart in the prior.
struct Taken {
  int copied = 0, unmatched = 0;
};
Taken taken_from(const search::SearchTask& task, const schedule::State& state, const PriorSchedule& prior) {
  const std::vector<Step>& steps = state.history();
  std::vector<std::string> stages = search::step_stage_keys(task.dag, steps, prior.naming);
  std::map<std::pair<std::string, int>, int> seen;
  Taken out;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    if (s.kind == StepKind::Split) {
      int occurrence = seen[{stages[i], s.iter_id}]++;
      auto match = prior.splits.find({stages[i], s.iter_id, occurrence});
      if (match == prior.splits.end()) {
        ++out.unmatched;
      } else if (match->second.lengths == s.lengths) {
        ++out.copied;
      }
    } else if (s.kind == StepKind::Pragma && s.pragma.rfind("auto_unroll_max_step$", 0) == 0) {
      auto match = prior.unroll_pragmas.find(stages[i]);
      if (match == prior.unroll_pragmas.end()) {
        ++out.unmatched;
      } else if (match->second == s.pragma) {
        ++out.copied;
      }
    }
  }
  return out;
}

TEST(StageNaming, APosteriorTakesEveryTileAndUnrollDepthOfAPriorWithAnotherEpilogue) {
  const search::SearchTask prior_task = dense_task(Epilogue::Bias);
  const search::SearchTask post_task = dense_task(Epilogue::BiasGelu);
  const std::vector<schedule::State> prior_sketches = search::generate_sketches(prior_task);
  const std::vector<schedule::State> post_sketches = search::generate_sketches(post_task);
  search::SearchOptions options;
  search::FactorizationCache cache;
  const SplitRuleWeights copy_only{1, 0, 0};
  for (size_t k = 0; k < prior_sketches.size(); ++k) {
    // The posterior's sketch with the prior's structure (found by role).
    const std::string wanted = search::sketch_signature(prior_sketches[k], StageNaming::Role);
    const schedule::State* post_sketch = nullptr;
    for (const auto& s : post_sketches)
      if (search::sketch_signature(s, StageNaming::Role) == wanted) post_sketch = &s;
    ASSERT_NE(post_sketch, nullptr) << "sketch " << k;
    for (uint64_t seed = 0; seed < 4; ++seed) {
      std::mt19937_64 rng(seed);
      schedule::State prior = search::annotate_sketch(prior_task, options, prior_sketches[k], cache, rng);
      PriorSchedule ps = prior_schedule(prior, StageNaming::Role);
      schedule::State post = diffuse_state(post_task, options, *post_sketch, {ps}, copy_only, cache, rng);
      Taken taken = taken_from(post_task, post, ps);
      EXPECT_EQ(taken.unmatched, 0) << "sketch " << k;
      EXPECT_GT(taken.copied, 0) << "sketch " << k;
    }
  }
}

TEST(StageNaming, ByRoleTheDiffusionTunerClustersTheDenseTasksAndDiffusesBetweenThem) {
  for (StageNaming naming : {StageNaming::Operation, StageNaming::Role}) {
    auto model = std::shared_ptr<costmodel::CostModel>(costmodel::make_random_model(0));
    std::vector<tuning::ScheduledTask> tasks;
    const std::vector<std::pair<std::string, Epilogue>> kinds = {{"dense_add", Epilogue::Bias},
                                                                 {"dense_add_gelu", Epilogue::BiasGelu}};
    for (const auto& [name, epilogue] : kinds) {
      search::SearchOptions so;
      so.population = 32;
      tuning::ScheduledTask t;
      t.name = name;
      t.policy = std::make_unique<search::SearchPolicy>(dense_task(epilogue), model, so, tasks.size() + 1);
      tuning::MeasureOptions mo;
      mo.runner.repeat = 1;
      mo.verify_all = true;  // every candidate, diffused ones included, against the unscheduled program
      t.measurer = std::make_unique<tuning::TaskMeasurer>(t.policy->task(), mo);
      tasks.push_back(std::move(t));
    }
    tuning::SchedulerOptions so;
    so.num_measures_per_round = 4;
    tuning::TaskScheduler scheduler(std::move(tasks), so, nullptr, nullptr);
    DiffusionOptions o;
    o.stage_naming = naming;
    DiffusionReport report = tune_with_diffusion(scheduler, o, 12);
    if (naming == StageNaming::Operation) {
      EXPECT_EQ(report.clusters.size(), 2u);
      EXPECT_EQ(report.posterior_tasks, 0);
      continue;
    }
    ASSERT_EQ(report.clusters.size(), 1u);
    EXPECT_EQ(report.posterior_tasks, 1);
    const int posterior = 1 - report.clusters[0].representative;
    EXPECT_FALSE(scheduler.plan(posterior).search.sketches.empty());  // the prior's sketches, found by role
    EXPECT_TRUE(scheduler.plan(posterior).search.init_sampler);
    EXPECT_GT(scheduler.progress(posterior).trials, 0);
    EXPECT_TRUE(std::isfinite(scheduler.progress(posterior).best_seconds));  // measured, and right
  }
}

TEST(StageNaming, NamesParseAndAnUnknownOneIsRefused) {
  EXPECT_EQ(search::parse_stage_naming("role"), StageNaming::Role);
  EXPECT_EQ(search::parse_stage_naming("operation"), StageNaming::Operation);
  EXPECT_STREQ(search::stage_naming_name(StageNaming::Role), "role");
  try {
    search::parse_stage_naming("name");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown stage naming 'name' (operation or role)");
  }
}

}  // namespace
}  // namespace bcd::diffusion
