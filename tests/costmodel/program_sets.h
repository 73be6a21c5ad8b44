// Labelled programs of real tasks for the cost model tests: random schedules of
// an operator, lowered and featurized, with a throughput that is either measured
// on this machine or given by a synthetic cost of the loop structure.
//
// Measuring is the real thing but slow the first time: clang needs ~0.2-1 s per
// random kernel, so 200 kernels take minutes on two cores before the kernel
// cache is warm. The synthetic cost keeps the default tests within seconds.
#pragma once
#include <string>
#include <vector>

#include "costmodel/cost_model.h"
#include "lower/loop_ir.h"

namespace bcd::testutil {

struct LabelledProgram {
  lower::LoweredFunc func;
  costmodel::ProgramFeatures features;
  double seconds = 0;     // measured median, or the synthetic cost
  double throughput = 0;  // FLOP/s
};

struct ProgramSet {
  std::string task;  // workload key
  double flops = 0;
  std::vector<LabelledProgram> programs;  // distinct programs, in generation order
  double measure_seconds = 0;             // wall time of building and timing them
  double compile_seconds = 0;             // of which in the C compiler
};

// Up to `count` distinct programs of an operator from random States (fixed
// seed), labelled by synthetic_seconds.
ProgramSet synthetic_program_set(const std::string& op, const std::string& params, int count, uint64_t seed);

// Up to `count` distinct programs of dense m=64,k=128,n=64 from random States,
// each compiled and timed on this machine. Built once per process and count.
const ProgramSet& measured_dense_set(int count);

// A known cost of a loop program, in seconds: every store execution costs one
// unit plus one per load, a store under a vectorized innermost loop is cheaper
// by its vector width (up to 8), a load or store whose innermost loop moves
// only a non-last index dimension costs 4 units more (a strided access), and
// stores under parallel loops share up to 8 cores.
double synthetic_seconds(const lower::LoweredFunc& func);

// Training samples of programs [begin, end) of a set.
std::vector<costmodel::TrainingSample> samples_of(const ProgramSet& set, size_t begin, size_t end);

// Fraction of pairs with different true throughput that `scores` order the same
// way as the truth.
double pairwise_accuracy(const std::vector<double>& scores, const std::vector<double>& truth);

}  // namespace bcd::testutil
