// Bayesian Code Diffusion over a network's tasks (DESIGN.md section 7): cluster the
// tasks, tune each cluster's representative first (the prior phase), then give
// every other task a posterior search policy that starts from the prior's best
// schedules, warm them up, and let the gradient task scheduler spend the rest of
// the budget on all tasks. The cost model is the scheduler's shared one: trained on
// the priors first, then continued (not restarted) on the posteriors.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "diffusion/clustering.h"
#include "diffusion/split_diffusion.h"
#include "graph/tasks.h"
#include "ir/compute_dag.h"
#include "schedule/state.h"
#include "search/sketch_signature.h"
#include "tuning/task_scheduler.h"

namespace bcd::diffusion {

// Every choice of the strategy. The defaults are what measured best (the
// "default" preset: loops clusters, 2 prior rounds, priors per sketch, release
// after 2 stalled rounds, half of a posterior's population drawn as Ansor's,
// first posterior rounds of 8, singletons topped up to a full round;
// docs/results/diffusion/); diffusion_preset("artifact")
// gives the research artifact's values, which each field's comment names.
struct DiffusionOptions {
  GroupType group_type = GroupType::Loops;  // artifact: operator
  int top_n = 2;                            // prior States kept per cluster
  int max_prior_rounds = 2;                 // prior rounds = min(cluster size, this); artifact: 10
  int posterior_iterations = 2;             // evolutionary iterations (Ansor: 4)
  double posterior_measure_fraction = 0.5;  // of num_measures_per_round
  SplitRuleWeights split_rules;
  // The share of diffused States that take the prior's auto-unroll depth (the
  // artifact: all); the others keep the depth Ansor's annotation drew. A depth that
  // suits the representative can make a member's programs slow to compile and to
  // run (session 11: a prior's unroll 512 copied into 3x3 convs of a 1x1 conv's
  // cluster doubled their compile time).
  double unroll_copy_rate = 1;
  // A task alone in its cluster has no prior; the artifact still tunes it with the
  // posterior's iterations and measures (from a random initial population).
  bool reduce_singletons = true;
  // Not in the artifact (0 = never, its behaviour): a task on the reduced posterior
  // search (a posterior, or a reduced singleton) whose best latency has not improved
  // over its last `release_after_rounds` rounds is released: it drops its prior and
  // searches as Ansor does (all sketches, random initialization, full iterations
  // and measures). A prior's sketch or tiles can be a poor fit for some members of
  // a cluster (a 1x1 conv's sketch for a 3x3 conv), and the restricted posterior
  // cannot leave them: the shared cost model, normalized per task, rates the
  // diffused family well because it is all this task has measured, so every round
  // measures more of it; the gradient scheduler then keeps feeding the stuck task.
  int release_after_rounds = 2;
  // Not in the artifact (0 = never): a posterior whose best FLOP rate after a round
  // is below this fraction of its representative's is released at once. The
  // tasks of a cluster are one operator, so a rate far below the representative's
  // is evidence that the diffused schedules do not fit this task (a 7x7 conv
  // diffused from a 28x28 one), available after one round instead of a stall's
  // several: at small budgets a posterior gets only a few rounds.
  double release_below_rate = 0;
  // Not in the artifact (false: its behaviour): keep the top_n prior States of every
  // sketch the representative measured, not only of the best one's, and let a
  // posterior search each of those sketches, diffused from that sketch's priors. A
  // representative's best sketch need not suit its cluster: after two prior rounds
  // SqueezeNet's 1000-class 1x1 conv was best without fusing its bias and relu, and
  // every posterior conv, held to that sketch, warmed up about twice as slow as with
  // the fused one (whose Ansor bests all are fused; session 16).
  bool prior_per_sketch = true;
  // Not in the artifact (0: its behaviour): the share of a posterior's initial
  // population drawn as Ansor draws it (random annotation of any of the task's
  // sketches) instead of diffused from the priors; the shared cost model then
  // chooses between both families. A prior's tiles can fit some members of its
  // cluster badly (on an AVX2 machine, squeezenet_v1.1's later 13x13 1x1 convs
  // ended 1.4-1.7x Ansor's after as many trials from a 55x55 representative's),
  // and a posterior's population made only of them cannot show the model a better
  // program. At 0.5 on squeezenet_v1.1's seeds 1 and 2, its best programs timed
  // side by side with Ansor's were 0.96-0.97 and 1.02 of them (at 0: 1.03-1.05 and
  // 1.03; seed 3, at 0.5 only: 0.94); on bert's three seeds it reached Ansor's best
  // 1.88x sooner (median; at 0: 1.03x) with programs level with those at 0
  // (docs/results/diffusion/evaluation_200/README.md).
  double posterior_open_fraction = 0.5;
  // How sketch signatures name stages (search::StageNaming): by operation (the
  // artifact's behaviour) or by role, so that tasks differing only in the
  // operation of their elementwise epilogue share sketch and loops clusters and
  // match their priors' splits (bert's 8 tasks: 7 loops clusters by operation, 5 by
  // role, its four dense tasks in one). By role, bert's three seeds at 200 trials
  // per task all ended 1.01-1.08x Ansor's by their own estimates (by operation
  // 0.98-1.00x); timed side by side with Ansor's best programs, 0.89 / 0.82-0.92 /
  // 1.08-1.10 against the default's 0.95-0.99 / 0.82-0.92 / 1.03-1.05: no better
  // (docs/results/diffusion/evaluation_200/README.md).
  search::StageNaming stage_naming = search::StageNaming::Operation;
  // Not in the artifact (false: its behaviour): before the gradient scheduler
  // takes over, every task on the reduced search (posterior or reduced singleton)
  // is topped up to the trials Ansor's warm-up gives a task (a full round, at most
  // its share of the budget) by an open round: Ansor's search, all sketches, full
  // iterations; then it goes back to its reduced search. A posterior's round
  // measures half of Ansor's, and the gradient scheduler, which ranks tasks by
  // absolute time, may never come back to a small task whose diffused schedules
  // fit badly (squeezenet_v1.1's 13x13 1x1 convs, mobilenetv2's first depthwise
  // conv ended 1.3-2x Ansor's after their posterior rounds). On squeezenet_v1.1's
  // seed that misses it did not help: its best programs timed side by side with
  // Ansor's were 1.06 of them (the default's 1.03-1.05).
  bool posterior_floor = false;
  // Not in the artifact (false: its behaviour): the posterior floor for reduced
  // singletons only. A singleton has no prior to diffuse: its reduced search is
  // Ansor's with fewer iterations and measures, and after its first round the
  // gradient scheduler, which ranks tasks by absolute time, may never come back
  // to it. At 50 trials per task on Zen 4, bert (8 tasks: one posterior, six
  // singletons) seed 3 without it ended 3.1% above Ansor's, a singleton
  // batch_matmul left at its first 8 measures at 3.2x Ansor's time. With it, the
  // default's 8 runs on four models all reached Ansor's best (1.46-3.12x sooner;
  // without: 3 never, 2 ending 3-6% above) and ended 0.80-0.98 of its estimate;
  // the floor for every reduced task instead cost the CNNs their posteriors'
  // diffused rounds (resnet-18 seed 3: 1.90x -> 1.06x;
  // docs/results/diffusion/ablation_zen4/).
  bool singleton_floor = true;
  // Not in the artifact (0: its behaviour, a posterior round's measures): what the
  // first round of each task on the reduced search (posterior or reduced singleton)
  // measures, at most a posterior round. Until every task has a measurement the
  // network has no latency estimate, and with a posterior round of half a round the
  // tasks after the prior phase took 200 of resnet-18's 307 s to get theirs: a
  // diffused run could not reach Ansor's best sooner than that, whatever it found.
  // Fewer measures first bring the first estimate forward; the gradient scheduler
  // then gives its rounds to the tasks that need them. At 8 (50 trials per task, 64
  // a round, Zen 3), seven runs (resnet-18's seeds 3-5, squeezenet_v1.1's 3-4,
  // mobilenet's and mxnet's 0) reached Ansor's best 1.54x sooner (median; at 0:
  // 1.06x) and ended lower in six of seven; resnet-18's seed 3 never got there (2%
  // above Ansor side by side; docs/results/diffusion/README.md, "First posterior rounds").
  int posterior_first_measures = 8;
};

// The first `n` States of `ranked` (best first) from each of `sketches` (States of
// one task), in rank order; States from none of them are dropped.
std::vector<schedule::State> top_per_sketch(const std::vector<schedule::State>& ranked,
                                            const std::vector<schedule::State>& sketches, int n);

// The key a task is clustered by: its name without "_N" (operator), the signature
// of its first sketch (sketch; `sketches` are the task's, in order; stages named by
// `naming`), or that signature and unit_loop_pattern(dag) (loops).
std::string cluster_key(GroupType type, const std::string& task_name, const ir::ComputeDAG& dag,
                        const std::vector<schedule::State>& sketches,
                        search::StageNaming naming = search::StageNaming::Operation);
// One character per loop of each op with a reduction, spatial loops then reduction
// loops: '1' for extent 1, 'n' otherwise; ops separated by '/', the two kinds by '.'.
// A 1x1 NCHW conv2d at batch 1 gives "1nnn.n11", a 3x3 one "1nnn.nnn".
std::string unit_loop_pattern(const ir::ComputeDAG& dag);
// Every tensor shape of the workload (inputs, then outputs), flattened.
std::vector<int64_t> workload_shape_vector(const ir::ComputeDAG& dag);

// Clusters of the scheduler's tasks (indices are scheduler task indices).
std::vector<Cluster> cluster_scheduled_tasks(tuning::TaskScheduler& scheduler, GroupType type,
                                             search::StageNaming naming = search::StageNaming::Operation);
// The clusters the strategy would form over tasks `tasks` of a network (indices
// into `tasks`; `target` decides the sketches), without tuning anything.
std::vector<Cluster> cluster_network_tasks(const std::vector<const graph::Task*>& tasks, GroupType type,
                                           const Target& target,
                                           search::StageNaming naming = search::StageNaming::Operation);

struct DiffusionReport {
  std::vector<Cluster> clusters;
  int prior_trials = 0;              // measured in the prior phase (this run)
  int model_trees_after_prior = 0;   // the cost model's size when the posteriors start
  int posterior_tasks = 0;           // tasks that got a prior
  int singleton_tasks = 0;
  int floor_trials = 0;        // measured by the open rounds of posterior_floor or singleton_floor
  std::vector<int> released;  // tasks released from the reduced search, in order
};

// Runs the strategy until scheduler.total_trials() reaches `budget`. The prior
// phase fits the budget: it keeps back every other task's first round (of at
// most its share of the budget, as Ansor's warm-up), so whenever the budget allows
// it every task is measured; `warn` hears up front when that cuts the phase short.
// Resumable: a representative that already has its prior trials is not tuned
// again, and warm-up skips tasks with measurements (a resumed run forgets which
// posteriors were released: their round history is not in the records). `log`
// receives one line per phase and per release.
DiffusionReport tune_with_diffusion(tuning::TaskScheduler& scheduler, const DiffusionOptions& options, int budget,
                                    const std::function<void(const std::string&)>& log = nullptr,
                                    const std::function<void(const std::string&)>& warn = nullptr);

}  // namespace bcd::diffusion
