// Fused subgraphs as graph fusion produces them, for the oracles: an anchor op and
// the elementwise ops after it in one DAG, whose reference composes the operators'
// naive references.
#pragma once
#include <cstdint>

#include "ops/attrs.h"
#include "ops/registry.h"

namespace bcd::testutil {

// relu(bias_add(conv2d 3x3, pad 1)) of a batch-1 image of `channels` x `size` x
// `size` (NCHW, or the NHWC equivalent) into `out_channels`.
ops::OpInstance conv_bias_relu(ops::Layout layout, int64_t channels, int64_t size, int64_t out_channels);

// relu(dense(data m x k, weight n x k, bias n)).
ops::OpInstance dense_bias_relu(int64_t m, int64_t k, int64_t n);

}  // namespace bcd::testutil
