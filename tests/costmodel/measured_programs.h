// Programs of one real task with measured throughputs, shared by the cost model
// tests: random schedules of a small dense layer, lowered, compiled as a few
// modules and timed on this machine. Built once per test process.
#pragma once
#include <string>
#include <vector>

#include "costmodel/cost_model.h"
#include "lower/loop_ir.h"

namespace bcd::testutil {

struct MeasuredProgram {
  lower::LoweredFunc func;
  costmodel::ProgramFeatures features;
  double seconds = 0;     // median time of one run
  double throughput = 0;  // FLOP/s
};

struct MeasuredTask {
  std::string name;
  double flops = 0;
  std::vector<MeasuredProgram> programs;  // distinct programs, in generation order
  double measure_seconds = 0;             // wall time of building and timing them
  double compile_seconds = 0;             // of which in the C compiler
};

// Up to `count` distinct programs of dense m=64,k=128,n=64 from random States
// (fixed seed), each compiled and timed.
const MeasuredTask& measured_dense_task(int count = 200);

// Training samples of the given programs.
std::vector<costmodel::TrainingSample> samples_of(const MeasuredTask& task, size_t begin, size_t end);

// Fraction of pairs with different measured throughput that `scores` order the
// same way as the measurements.
double pairwise_accuracy(const std::vector<double>& scores, const std::vector<double>& truth);

}  // namespace bcd::testutil
