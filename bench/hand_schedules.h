// Hand-written schedules for the benchmark's kernels: what a good Ansor sketch with
// well-chosen tile sizes looks like for each, written with HandSchedule so that they
// are ordinary step histories (they replay, serialize and lower like searched ones).
#pragma once
#include <string>

#include "ir/compute_dag.h"
#include "schedule/state.h"

namespace bcd::bench {

// dense: data MxK times weight NxK transposed (the registry's "dense").
schedule::State schedule_dense(const ir::ComputeDAG& dag);
// conv2d, stride 1, with its padding stage; layout NCHW or NHWC (weight KHxKWxCxO).
schedule::State schedule_conv2d_nchw(const ir::ComputeDAG& dag);
schedule::State schedule_conv2d_nhwc(const ir::ComputeDAG& dag);

}  // namespace bcd::bench
