// Graph-level layout conversion (TVM's ConvertLayout): the NCHW image operators of a
// graph rewritten to NHWC, where the search finds faster programs on CPUs. In NHWC
// the channels are innermost, so a convolution's vectors run along its output
// channels (16, 64, 1000: whole vectors) instead of along image rows of 13, 27 or
// 55; tuned at the same budget, squeezenet_v1.1's convolutions ran 1.1-2.1x faster
// (docs/results/nhwc_layout.md).
#pragma once
#include "graph/graph.h"

namespace bcd::graph {

// The same function as `g` with every NCHW conv2d, max/avg pool and global average
// pool in NHWC, their weights transposed once (OIHW to HWIO), and the operators
// between them that do not care about the layout (elementwise, broadcasts of
// 4-D values and per-channel constants, bias_add and batch_norm along the
// channels, concatenations along the channels) carried over on NHWC values.
// Values cross between the layouts through transposes, only where needed: the
// graph's inputs and outputs keep their shapes, and any other operator (flatten,
// reshape, softmax, ...) reads its input in the original layout.
Graph convert_to_nhwc(const Graph& g);

// Whether `g` has an NCHW image operator (conv2d, pool) for convert_to_nhwc to convert.
bool has_nchw_image_operators(const Graph& g);

}  // namespace bcd::graph
