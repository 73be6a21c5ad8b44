// Every hyper-parameter of the search, with Ansor's default (one addition, marked).
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
  // Not Ansor's (0 is its space): the share of sampled CPU States whose innermost
  // tile of a cached multi-level tiling gets another spatial loop innermost, where
  // that loop may be vectorized (see reorder_inner_tile).
  double inner_tile_reorder_prob = 0.5;
  // Not Ansor's either (0 is its space): the chance that a sampled CPU State's split
  // of a spatial loop whose extent the vector lanes divide gets an innermost length
  // that is a multiple of the lanes (see fill_tile_sizes).
  double full_vector_tile_prob = 0.5;
};

}  // namespace bcd::search
