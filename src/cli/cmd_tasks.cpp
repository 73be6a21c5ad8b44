#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/model_options.h"
#include "diffusion/diffusion_tuner.h"
#include "graph/tasks.h"
#include "search/target.h"
#include "support/error.h"
#include "tuning/network_tasks.h"

namespace bcd::cli {

namespace {

struct TasksOptions {
  api::ModelSpec model;
  std::string target = "llvm";
  std::string group_type = diffusion::group_type_name(diffusion::DiffusionOptions{}.group_type);
  std::string stage_naming = search::stage_naming_name(diffusion::DiffusionOptions{}.stage_naming);
};

int run_tasks(const TasksOptions& o) {
  Target target = search::resolve_target(o.target);
  diffusion::GroupType group = diffusion::parse_group_type(o.group_type);
  const api::ModelSpec::Loaded loaded = o.model.load_for(target);
  const graph::Graph& g = loaded.graph();
  graph::TaskSet set = graph::extract_tasks(g);

  // The clusters the diffusion strategy would form over the tuned tasks.
  std::vector<int> tuned = tuning::tuned_task_indices(set, false);
  std::vector<const graph::Task*> tuned_tasks;
  for (int i : tuned) tuned_tasks.push_back(&set.tasks[i]);
  std::vector<diffusion::Cluster> clusters =
      diffusion::cluster_network_tasks(tuned_tasks, group, target, search::parse_stage_naming(o.stage_naming));
  std::vector<std::string> cluster_of(set.tasks.size(), "-");
  for (size_t c = 0; c < clusters.size(); ++c)
    for (int m : clusters[c].members)
      cluster_of[tuned[m]] = fmt::format("{}{}", c, m == clusters[c].representative ? " (rep)" : "");

  fmt::print("model {}: {} subgraphs, {} tasks ({} tuned), {} {} clusters\n", o.model.model, set.subgraphs.size(),
             set.tasks.size(), tuned.size(), clusters.size(), o.group_type);
  fmt::print("{:>3}  {:<28} {:>6} {:>10}  {:<16} {:<9} {}\n", "#", "task", "weight", "MFLOP", "workload key",
             "cluster", "");
  double total = 0;
  for (size_t i = 0; i < set.tasks.size(); ++i) {
    const auto& t = set.tasks[i];
    double mflop = t.dag->flop_count() / 1e6;
    total += mflop * t.weight;
    fmt::print("{:>3}  {:<28} {:>6} {:>10.2f}  {:<16} {:<9} {}\n", i, t.name, t.weight, mflop, t.workload_key,
               cluster_of[i], t.simple ? "(simple: no reduction, not tuned)" : "");
  }
  fmt::print("total {:.1f} MFLOP per inference\n", total);
  return 0;
}

}  // namespace

CommandRunner add_tasks_command(CLI::App& app) {
  auto o = std::make_shared<TasksOptions>();
  CLI::App* cmd = app.add_subcommand("tasks", "list the tuning tasks of a model: weights, FLOPs, workload keys, clusters");
  add_model_options(cmd, o->model);
  cmd->add_option("--target", o->target, "llvm (this CPU) or cuda (an NVIDIA GPU)")->capture_default_str();
  cmd->add_option("--group-type", o->group_type, "diffusion clusters: operator, sketch or loops (sketch and unit-extent loops; what diffusion forms by default)")->capture_default_str();
  cmd->add_option("--stage-naming", o->stage_naming,
                  "diffusion clusters: how sketch signatures name stages, operation or role (as bcd tune's flag)")
      ->capture_default_str();
  return [o] { return run_tasks(*o); };
}

}  // namespace bcd::cli
