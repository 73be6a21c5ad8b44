#include "hand_schedules.h"

#include "schedule/hand_schedule.h"

namespace bcd::bench {

using schedule::HandSchedule;

// The machine these were tuned on: AVX-512 (16 floats a vector, 32 vector
// registers), 48 KiB L1 data cache and 1 MiB L2 per core. The register tile of
// each kernel is sized so that its accumulators, the vectors loaded per step and a
// broadcast fit the 32 registers; clang keeps a local accumulator tile in registers
// only when every access to it has a constant index once the tile loops are
// unrolled, or when the tile's base does not change inside the reduction loops.

schedule::State schedule_dense(const ir::ComputeDAG& dag) {
  // dense's weight is NxK: both operands are contiguous along k only, so the vector
  // lanes run along k. rfactor splits k into 16 lanes that stay separate through
  // the reduction (dense.rf[i, j, lane]) and a final 16-lane sum per output.
  // Register tile: 4 rows x 4 columns x 16 lanes = 16 accumulators; per step 4 + 4
  // vector loads feed 16 FMAs.
  constexpr int64_t kLanes = 16;
  constexpr int64_t kTaskRows = 32, kTaskCols = 32;  // one parallel task: 32x32 outputs
  constexpr int64_t kBlockK = 128;                   // k per packed block
  constexpr int64_t kRegRows = 4, kRegCols = 4;
  HandSchedule h(dag);
  auto [k_outer, k_lane] = h.split2("dense", "k", kLanes);
  std::string rf = h.rfactor("dense", k_lane, 2);
  // Packed copies of the operand rows a task reads, one k block at a time: rows of
  // a 1024-float matrix are 4 KiB apart and all map to the same L1 sets, so reading
  // 8 of them in step thrashes the cache; the packed rows are 512 bytes apart.
  std::string data_pack = h.cache_read("data", "local", {rf});
  std::string weight_pack = h.cache_read("weight", "local", {rf});

  auto [i0, i1] = h.split2("dense", "dense_i0", kTaskRows);
  auto [j0, j1] = h.split2("dense", "dense_i1", kTaskCols);
  h.reorder("dense", {i0, j0, i1, j1, "k.1.v"});
  std::string task = h.fuse("dense", {i0, j0});
  h.parallel("dense", task);
  // The lane sum: a vectorized reduction (clang sums the 16 lanes in registers).
  h.vectorize("dense", "k.1.v");

  h.compute_at(rf, "dense", task);
  auto [ri0, ri1] = h.split2(rf, "dense_i0", kRegRows);
  auto [rj0, rj1] = h.split2(rf, "dense_i1", kRegCols);
  auto [kb0, kb1] = h.split2(rf, "k.0", kBlockK / kLanes);
  h.reorder(rf, {kb0, ri0, rj0, kb1, ri1, rj1, "k.1"});
  h.unroll(rf, ri1);
  h.unroll(rf, rj1);
  h.vectorize(rf, "k.1");
  h.compute_at(data_pack, rf, kb0);
  h.compute_at(weight_pack, rf, kb0);
  h.vectorize(data_pack, "data.local_ax1");
  h.vectorize(weight_pack, "weight.local_ax1");
  return h.state();
}

schedule::State schedule_conv2d_nchw(const ir::ComputeDAG& dag) {
  // NCHW: only the output column x is contiguous in both the data and the output,
  // so the lanes run along a whole output row (56 = 3 vectors of 16 + one of 8);
  // the weight is broadcast. Register tile: 4 output channels x 56 columns = 16
  // accumulators. One parallel task: one output row, all 64 channels.
  constexpr int64_t kRegChannels = 4;
  constexpr int64_t kBlockC = 16;  // input channels per block: its padded rows stay in L1
  HandSchedule h(dag);
  std::string local = h.cache_write("conv2d", "local");
  h.reorder("conv2d", {"conv2d_ax0", "conv2d_ax2", "conv2d_ax1", "conv2d_ax3"});
  std::string task = h.fuse("conv2d", {"conv2d_ax0", "conv2d_ax2"});
  h.parallel("conv2d", task);
  h.vectorize("conv2d", "conv2d_ax3");

  h.compute_at(local, "conv2d", task);
  auto [o0, o1] = h.split2(local, "conv2d_i1", kRegChannels);
  auto [rc0, rc1] = h.split2(local, "rc", kBlockC);
  // The register tile's base depends on o0 only, which the reduction loops inside
  // it do not change: the accumulators stay in registers over rc1, ry, rx.
  h.reorder(local, {"conv2d_i0", "conv2d_i2", rc0, o0, rc1, "ry", "rx", o1, "conv2d_i3"});
  h.unroll(local, o1);
  h.vectorize(local, "conv2d_i3");
  // The padded input of one channel block (16 x 3 rows x 58), built where it is
  // used: padding costs a copy of the rows, not a bounds test per multiply.
  h.compute_at("data_pad", local, rc0);
  h.vectorize("data_pad", "data_pad_i3");
  return h.state();
}

schedule::State schedule_conv2d_nhwc(const ir::ComputeDAG& dag) {
  // NHWC: the output channel o is contiguous in the output and in the KHxKWxCxO
  // weight, so the lanes run along o (64 = 4 vectors) and the input is broadcast.
  // Register tile: 4 output columns x 64 channels = 16 accumulators; per step 4
  // weight vectors and 4 broadcasts feed 16 FMAs. The local stage is exactly the
  // register tile, so every accumulator index is a constant.
  constexpr int64_t kRegCols = 4;
  HandSchedule h(dag);
  std::string local = h.cache_write("conv2d", "local");
  auto [x0, x1] = h.split2("conv2d", "conv2d_ax2", kRegCols);
  h.reorder("conv2d", {"conv2d_ax0", "conv2d_ax1", x0, x1, "conv2d_ax3"});
  // One parallel task: one output row (56 rows, 28 per core on two).
  std::string task = h.fuse("conv2d", {"conv2d_ax0", "conv2d_ax1"});
  h.parallel("conv2d", task);
  h.vectorize("conv2d", "conv2d_ax3");

  h.compute_at(local, "conv2d", x0);
  // Input channels innermost: the reduction walks contiguous input and weight rows.
  h.reorder(local, {"conv2d_i0", "conv2d_i1", "ry", "rx", "rc", "conv2d_i2", "conv2d_i3"});
  h.unroll(local, "conv2d_i2");
  h.vectorize(local, "conv2d_i3");
  // The padded input window of one tile (3 x 6 x 64 floats), built per tile.
  h.compute_at("data_pad", local, "conv2d_i1");
  h.vectorize("data_pad", "data_pad_i3");
  return h.state();
}

}  // namespace bcd::bench
