// Every hyper-parameter of the search, with Ansor's default. bcd's additions to
// Ansor's space shape the programs made for a target: they live in Target.
#pragma once
#include <vector>

namespace bcd::search {

struct SearchOptions {
  int population = 2048;              // evolutionary population size
  int num_iterations = 4;             // evolutionary iterations per round
  double mutation_prob = 0.85;        // else the parent is copied unchanged
  double use_measured_ratio = 0.2;    // share of the population seeded with measured bests
  double eps_greedy = 0.05;           // share of each round measured at random
  // Relative weights of the mutation rules.
  double mutate_tile_size = 0.90;
  double mutate_compute_location = 0.05;
  double mutate_auto_unroll = 0.04;
  double mutate_parallel = 0.01;
  std::vector<int> auto_unroll_configs = {0, 16, 64, 512};
  std::vector<int> gpu_auto_unroll_configs = {0, 16, 64, 512, 1024};
  int max_sample_attempts = 8;        // per wanted sample before giving up on progress
  // Every round first measures the best-scored State of each sketch the search
  // samples from (one each), then fills up by score. Off in Ansor. A cost model
  // shared between tasks can rate one sketch's family low on a task that never
  // measured it (the diffusion lock-in: a cluster's prior best unfused, and every
  // posterior's model kept choosing unfused States); one candidate per sketch a
  // round keeps evidence about every sketch coming in on every task.
  bool explore_sketches = false;
};

}  // namespace bcd::search
