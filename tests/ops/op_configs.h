// The table of operator configurations the ops tests run: at least five per
// registered operator, covering odd sizes, strides, padding, dilation, groups,
// both layouts, broadcasting and different axes.
#pragma once
#include <string>
#include <vector>

#include "support/ndarray.h"

namespace bcd::ops::optest {

struct OpConfig {
  std::string op;
  std::string params;
  // Range of random input data (an instance's own input_ranges take precedence):
  // wider than [-1, 1) where an operator only shows its behaviour there (relu6).
  float low = -1.0f, high = 1.0f;
  double rtol = 1e-4, atol = 1e-4;
};

const std::vector<OpConfig>& op_configs();

// "conv2d_3": unique and valid as a GoogleTest parameter name.
std::string config_name(const OpConfig& config, size_t index_within_op);

// For tests parametrized over the table: every index, and the name of an index
// ("conv2d_3") for INSTANTIATE_TEST_SUITE_P.
std::vector<size_t> config_indices();
std::string config_param_name(size_t index);

// Expects every actual output close to the expected one within the configuration's
// tolerances, naming the output and its largest differences otherwise.
void expect_outputs_match(const std::vector<NDArray>& actual, const std::vector<NDArray>& expected,
                          const OpConfig& config);

}  // namespace bcd::ops::optest
