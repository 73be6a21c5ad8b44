// Layout rewrite of a constant input (Ansor's LayoutRewriteOption). A scheduled
// program reads a weight through split loops, e.g. W[o0*64 + o1*16 + o2, i, kh, kw]
// with o2 vectorized innermost: neighbouring lanes are I*KH*KW floats apart, a
// gather. Stored in the order of the loops that read it (W'[o0, o1, i, kh, kw, o2]
// when those loops nest in that order), the same access is contiguous. A network's
// weights are constants, so the re-layout is paid once, outside every timed run.
#pragma once
#include <optional>

#include "lower/loop_ir.h"
#include "schedule/state.h"

namespace bcd::lower {

struct RewrittenLayout {
  LoweredFunc kernel;  // the program, reading parameter `input` in the new layout
  LoweredFunc pack;    // <name>_pack<input>(original, rewritten): fills the new layout
  int input = -1;      // the rewritten parameter of `kernel`
};

// Rewrites parameter `input` of `f` when every load of it has the same indices and
// each index is an exact mixed-radix sum of loop variables (what exact splits
// produce: o0*64 + o1*16 + o2 with extents 2, 4, 16 for a dimension of 128), no loop
// variable indexing two dimensions. The rewritten tensor has one dimension per such
// loop, outermost first, and as many elements as the original. Returns nullopt for
// any other access (a fused loop's floordiv, a sliding window such as h + kh, a
// guarded partial tile, an input that is never read) and for outputs.
std::optional<RewrittenLayout> rewrite_input_layout(const LoweredFunc& f, int input);

// A CPU program: the kernel, with its DAG's layout-free inputs rewritten where
// rewrite_input_layout accepts them, and the packs that make those inputs.
struct Program {
  LoweredFunc kernel;
  std::vector<LoweredFunc> packs;  // pack(original, rewritten), one per rewritten input
  std::vector<int> packed_inputs;  // the kernel parameter each pack makes
  std::vector<LoweredFunc> funcs() const;  // kernel then packs: one translation unit
};

// Which layouts a CPU program chooses for itself.
struct LayoutRewrites {
  bool weights = true;       // rewrite_input_layout of the DAG's layout-free inputs
  bool accumulators = true;  // reorder_local_accumulators (lower/local_layout.h)
};

// lower_state, then the rewrites asked for: local accumulators in loop order, and
// rewrite_input_layout of each layout-free input of the State's DAG.
Program lower_with_layout_rewrite(const schedule::State& state, const std::string& name,
                                  LayoutRewrites rewrites = {});

}  // namespace bcd::lower
