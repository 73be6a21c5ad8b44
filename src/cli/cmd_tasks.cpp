#include <fmt/format.h>

#include "cli/commands.h"
#include "frontends/zoo.h"
#include "graph/tasks.h"
#include "support/error.h"

namespace bcd::cli {

namespace {

struct TasksOptions {
  std::string model = "squeezenet_v1.1";
  std::string target = "llvm";
};

int run_tasks(const TasksOptions& o) {
  if (o.target != "llvm") fail("unknown target '{}' (only llvm is supported so far)", o.target);
  graph::Graph g = frontends::build_model(o.model);
  graph::TaskSet set = graph::extract_tasks(g);
  fmt::print("model {}: {} subgraphs, {} tasks\n", o.model, set.subgraphs.size(), set.tasks.size());
  fmt::print("{:>3}  {:<28} {:>6} {:>10}  {:<16} {}\n", "#", "task", "weight", "MFLOP", "workload key", "");
  double total = 0;
  for (size_t i = 0; i < set.tasks.size(); ++i) {
    const auto& t = set.tasks[i];
    double mflop = t.dag->flop_count() / 1e6;
    total += mflop * t.weight;
    fmt::print("{:>3}  {:<28} {:>6} {:>10.2f}  {:<16} {}\n", i, t.name, t.weight, mflop, t.workload_key,
               t.simple ? "(simple: no reduction)" : "");
  }
  fmt::print("total {:.1f} MFLOP per inference\n", total);
  return 0;
}

}  // namespace

CommandRunner add_tasks_command(CLI::App& app) {
  auto o = std::make_shared<TasksOptions>();
  CLI::App* cmd = app.add_subcommand("tasks", "list the tuning tasks of a model: weights, FLOPs, workload keys");
  cmd->add_option("--model", o->model, "built-in model name")->capture_default_str();
  cmd->add_option("--target", o->target, "llvm")->capture_default_str();
  return [o] { return run_tasks(*o); };
}

}  // namespace bcd::cli
