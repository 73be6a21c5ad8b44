// The generated CUDA run on the host (see cuda_host_emulator.h): threads, barriers,
// shared memory and the launch header as CUDA has them, so the mapping of a loop
// program onto blocks and threads is checked without a GPU. Each program must
// compute what it computes run sequentially (the C generator's GPU emulation), and
// each operator's default schedule what the operator's reference computes.
#include <gtest/gtest.h>

#include <random>

#include "codegen/codegen_c.h"
#include "codegen/codegen_cuda.h"
#include "codegen/cuda_host_emulator.h"
#include "codegen/gpu_programs.h"
#include "lower/lower.h"
#include "ops/registry.h"
#include "runtime/module.h"
#include "search/gpu_default_schedule.h"
#include "support/ndarray.h"
#include "testing/op_call.h"

using namespace bcd;

namespace {

// Runs `f` both ways on the same random inputs; outputs start from different stale
// values so that an element either way fails to write cannot pass.
void expect_same_as_sequential(const lower::LoweredFunc& f, int num_inputs) {
  std::mt19937_64 rng(7);
  std::vector<NDArray> seq, par;
  for (size_t i = 0; i < f.params.size(); ++i) {
    seq.emplace_back(f.params[i]->shape);
    if (static_cast<int>(i) < num_inputs)
      seq.back().fill_random(rng, -1.0f, 1.0f);
    else
      seq.back().fill(12345.0f);
    par.push_back(seq.back().copy());
    if (static_cast<int>(i) >= num_inputs) par.back().fill(-777.0f);
  }
  std::vector<float*> seq_args, par_args;
  for (auto& a : seq) seq_args.push_back(a.data());
  for (auto& a : par) par_args.push_back(a.data());
  runtime::Module::from_source(codegen::codegen_c({f}, {.emulate_gpu = true})).get(f.name).run(seq_args);
  testutil::run_cuda_on_host(codegen::codegen_cuda({f}), f.name, par_args);
  for (size_t i = num_inputs; i < f.params.size(); ++i) {
    ArrayDiff d = compare_arrays(par[i], seq[i]);
    EXPECT_TRUE(arrays_close(par[i], seq[i], 1e-5, 1e-5))
        << f.name << " output " << f.params[i]->name << ": max abs " << d.max_abs;
  }
}

}  // namespace

TEST(CudaHostEmulation, HandMadeProgramsComputeWhatTheySequentiallyCompute) {
  expect_same_as_sequential(testutil::staged_program(), 1);
  expect_same_as_sequential(testutil::explicit_sync_program(), 1);
  expect_same_as_sequential(testutil::unrolled_program(), 1);
  expect_same_as_sequential(testutil::rowsum_program(), 1);
  expect_same_as_sequential(testutil::rowmax_program(), 1);
  expect_same_as_sequential(testutil::two_kernel_program(), 1);
  expect_same_as_sequential(testutil::math_program(), 1);
  // Vector accesses, and the scalar fallbacks beside them (the emulator checks
  // every vector access's alignment, as a GPU does).
  expect_same_as_sequential(testutil::row_program("rows", 8, 0, 1), 2);
  expect_same_as_sequential(testutil::row_program("pairs", 6, 0, 1), 2);
  expect_same_as_sequential(testutil::row_program("shifted", 8, 1, 1), 2);
  expect_same_as_sequential(testutil::row_program("strided", 8, 0, 2), 2);
  expect_same_as_sequential(testutil::select_program(), 2);
}

TEST(CudaHostEmulation, SingleThreadStoresAreWrittenOncePerBlock) {
  // B and C are outputs: every element is written, C by thread 0 of each block.
  expect_same_as_sequential(testutil::single_thread_program(), 1);
}

TEST(CudaHostEmulation, DefaultSchedulesMatchTheReference) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"dense", "m=8,k=12,n=16,bias=1"},
      {"conv2d", "n=1,c=3,h=9,w=9,o=4,kernel=3,stride=2,pad=1"},
      {"softmax", "shape=3x17"},
      {"layer_norm", "shape=2x5x16"},
      {"max_pool2d", "n=1,c=4,h=8,w=8,kernel=3,stride=2,pad=1"},
      {"concat", "shape=2x4x6,sizes=4x8x2,axis=1"},
  };
  for (const auto& [op, params] : cases) {
    SCOPED_TRACE(op + " " + params);
    ops::OpInstance inst = ops::build_op(op, ops::OpParams::parse(params));
    std::mt19937_64 rng(11);
    std::vector<NDArray> inputs;
    for (const auto& t : inst.dag.inputs()) inputs.emplace_back(t->shape).fill_random(rng, 0.1f, 1.0f);
    testutil::OpCall call = testutil::prepare_op_call(inst, inputs);
    lower::LoweredFunc f = lower::lower_state(search::gpu_default_state(inst.dag), "default_" + op);
    testutil::run_cuda_on_host(codegen::codegen_cuda({f}), f.name, call.args);
    for (size_t o = 0; o < call.outputs.size(); ++o) {
      ArrayDiff d = compare_arrays(call.outputs[o], call.expected[o]);
      EXPECT_TRUE(arrays_close(call.outputs[o], call.expected[o], 1e-4, 1e-4)) << "max abs " << d.max_abs;
    }
  }
}
