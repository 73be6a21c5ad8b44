// Kernels that write their output as a slice of a larger array
// (lower::LoweredFunc::output_array_shape), as a network's producers write into a
// concatenation done in place along a strided axis: for the default program and for
// States the search produces, the slice holds what the unscheduled program computes
// and nothing outside it is written.
#include <gtest/gtest.h>

#include <random>

#include "codegen/codegen_c.h"
#include "ops/registry.h"
#include "runtime/module.h"
#include "search/default_program.h"
#include "search/target.h"
#include "support/error.h"
#include "testing/fused_ops.h"
#include "testing/random_states.h"

namespace bcd {
namespace {

struct SliceCase {
  const char* op;
  const char* params;
  int axis;  // widened in the larger array
};

const SliceCase kCases[] = {
    {"conv2d_bias_relu", "NHWC", 3},
    {"conv2d", "n=1,c=4,h=12,w=12,o=6,kernel=3,stride=2,pad=1,layout=NHWC", 3},
    {"conv2d", "n=1,c=4,h=10,w=10,o=8,kernel=1,stride=1,pad=0", 2},
    {"dense", "m=8,k=12,n=16,bias=1", 1},
    {"max_pool2d", "n=1,c=8,h=12,w=12,kernel=3,stride=2,pad=1,layout=NHWC", 3},
    {"softmax", "shape=4x24", 1},
    {"transpose", "shape=2x4x6x8,axes=0x2x3x1", 3},
};

ops::OpInstance build(const SliceCase& c) {
  if (std::string(c.op) == "conv2d_bias_relu") return testutil::conv_bias_relu(ops::Layout::NHWC, 4, 10, 8);
  return ops::build_op(c.op, ops::OpParams::parse(c.params));
}

constexpr float kUntouched = 12345.0f;
constexpr int kStates = 24;

class COutputSlice : public ::testing::TestWithParam<size_t> {};

TEST_P(COutputSlice, TheSliceHoldsTheResultAndNothingElseIsWritten) {
  const SliceCase& c = kCases[GetParam()];
  ops::OpInstance inst = build(c);
  ASSERT_EQ(inst.dag.outputs().size(), 1u);
  const std::vector<int64_t> shape = inst.dag.outputs()[0]->shape;
  std::mt19937_64 rng(77 + GetParam());
  std::vector<NDArray> inputs;
  std::vector<const NDArray*> input_ptrs;
  for (const auto& t : inst.dag.inputs()) {
    inputs.emplace_back(t->shape);
    inputs.back().fill_random(rng, 0.1f, 1.0f);
  }
  for (auto& a : inputs) input_ptrs.push_back(&a);
  const NDArray expected = std::move(inst.reference(input_ptrs)[0]);

  // The output is elements [before, before + extent) of a widened axis; every other
  // axis as it is.
  const int64_t before = 3, after = 2;
  std::vector<int64_t> array_shape = shape;
  array_shape[c.axis] += before + after;
  int64_t inner = 1;
  for (size_t d = c.axis + 1; d < shape.size(); ++d) inner *= shape[d];

  std::vector<lower::Program> programs;
  programs.push_back(search::default_program(inst.dag, "default_kernel", Target::cpu()));
  for (int k = 0; k < kStates; ++k)
    programs.push_back(search::lower_for_target(testutil::search_state(inst.dag, rng), "state_" + std::to_string(k),
                                                Target::cpu()));
  std::vector<lower::LoweredFunc> funcs;
  for (size_t p = 0; p < programs.size(); ++p) {
    programs[p].kernel.output_array_shape = array_shape;
    for (lower::LoweredFunc& pack : programs[p].packs) pack.name += "_" + std::to_string(p);  // one module
    for (const lower::LoweredFunc& f : programs[p].funcs()) funcs.push_back(f);
  }
  runtime::Module module = runtime::Module::from_source(codegen::codegen_c(funcs));

  for (const lower::Program& program : programs) {
    std::vector<NDArray> packed;
    std::vector<float*> args;
    for (auto& a : inputs) args.push_back(a.data());
    for (size_t i = 0; i < program.packs.size(); ++i) {
      const int input = program.packed_inputs[i];
      packed.emplace_back(program.kernel.params[input]->shape);
      module.get(program.packs[i].name).run(std::vector<float*>{args[input], packed.back().data()});
    }
    for (size_t i = 0; i < program.packs.size(); ++i) args[program.packed_inputs[i]] = packed[i].data();
    NDArray array(array_shape);
    array.fill(kUntouched);
    args.push_back(array.data() + before * inner);
    module.get(program.kernel.name).run(args);

    // Split the array into the slice and the rest, walking it row-major.
    NDArray slice(shape);
    int64_t outside_written = 0, j = 0;
    std::vector<int64_t> index(array_shape.size(), 0);
    for (int64_t e = 0; e < array.size(); ++e) {
      const int64_t along = index[c.axis];
      if (along >= before && along < before + shape[c.axis])
        slice.data()[j++] = array.data()[e];
      else
        outside_written += array.data()[e] != kUntouched;
      for (int d = static_cast<int>(index.size()) - 1; d >= 0 && ++index[d] == array_shape[d]; --d) index[d] = 0;
    }
    ASSERT_EQ(j, slice.size());
    EXPECT_EQ(outside_written, 0) << program.kernel.name;
    EXPECT_TRUE(arrays_close(slice, expected, 1e-4, 1e-4))
        << program.kernel.name << ": max abs error " << compare_arrays(slice, expected).max_abs;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, COutputSlice, ::testing::Range<size_t>(0, std::size(kCases)),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::to_string(info.param) + "_" + kCases[info.param].op;
                         });

TEST(COutputSlice, AnArrayThatCannotHoldTheOutputIsRefused) {
  ops::OpInstance inst = ops::build_op("softmax", ops::OpParams::parse("shape=4x24"));
  lower::Program program = search::default_program(inst.dag, "default_kernel", Target::cpu());
  program.kernel.output_array_shape = {4, 23};
  EXPECT_THROW(codegen::codegen_c(program.funcs()), InternalError);
  program.kernel.output_array_shape = {4, 24, 1};
  EXPECT_THROW(codegen::codegen_c(program.funcs()), InternalError);
}

}  // namespace
}  // namespace bcd
