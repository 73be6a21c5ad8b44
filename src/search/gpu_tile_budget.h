// Tile sizes of a GPU tiling drawn within the hardware's limits. The GPU sketch
// splits each spatial axis of its tiled stage into block, vthread, thread and two
// inner parts, and each reduction axis into an outer part and the two inner parts
// that one shared-memory fetch covers. Drawn independently, most combinations
// break a limit (about 1 sample in 4 or 5 passed on convolutions and dense
// layers), and finding out took lowering the whole program. The budget tracks,
// split by split, what the block uses: threads, virtual threads, accumulator
// registers (vthreads x inner tile per thread, times threads) and the shared
// memory of the inputs' tiles (the footprint of each input's indices over the
// block's tile, from their affine coefficients), so that each split is drawn
// among those that still fit. check_gpu_limits still lowers the result: what the
// budget cannot see (an index it cannot read as affine) is caught there.
#pragma once
#include <cstdint>
#include <vector>

#include "ir/tensor.h"
#include "target/target.h"

namespace bcd::search {

class GpuTileBudget {
 public:
  GpuTileBudget(const HardwareParams& hw, const ir::OpNode& op);

  // `axis` is a root axis of the op: spatial ones first, then the reductions.
  bool admits(int axis, const std::vector<int64_t>& lengths) const;
  void take(int axis, const std::vector<int64_t>& lengths);

  int64_t shared_bytes() const { return shared_bytes(tile_); }  // of the tiles taken so far

 private:
  // One dimension of one input's index: constant + sum of coef[a] * axis a.
  struct AffineIndex {
    std::vector<int64_t> coef;  // per root axis
    bool affine = true;         // false: the footprint ignores this dimension
  };
  struct InputAccess {
    const ir::OpNode* tensor = nullptr;
    std::vector<AffineIndex> dims;
  };

  int64_t shared_bytes(const std::vector<int64_t>& tile) const;

  const HardwareParams& hw_;
  int num_spatial_ = 0;
  std::vector<InputAccess> inputs_;
  std::vector<int64_t> tile_;  // per root axis: the block's tile (spatial) or one fetch's (reduction)
  int64_t threads_ = 1, vthreads_ = 1, words_ = 1;
};

}  // namespace bcd::search
