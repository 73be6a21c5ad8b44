// Memory planning for a whole network: every intermediate value (a subgraph's
// output) needs a buffer only from the step that writes it to the last step that
// reads it. Values whose lifetimes do not overlap can share one buffer, so a chain
// network needs about two activation buffers instead of one per layer.
//
// The planner is TVM's greedy one (graph_plan_memory), by size: steps are walked in
// execution order; a value takes the smallest free buffer that is large enough, or
// else grows the largest free buffer (no buffer is free: a new one); a buffer is
// freed after the last step that reads its value. A value is never written into a
// buffer that one of its own step's inputs still occupies: a kernel reads all its
// inputs while it writes its output, so in-place reuse is never safe in general.
#pragma once
#include <cstdint>
#include <vector>

namespace bcd::executor {

// One value to place: written by step `def`, last read by step `last_use`
// (last_use >= def; last_use == def for a value nobody reads). A value may instead
// live inside another one, from `alias_offset` bytes into it (an input of a
// concatenation written straight into its slice of the result, contiguous or
// strided): it takes no buffer,
// and the value it lives in must be live from this value's def to its last use.
struct ValueLifetime {
  int64_t bytes = 0;
  int def = 0;
  int last_use = 0;
  int alias_of = -1;
  int64_t alias_offset = 0;
};

struct MemoryPlan {
  std::vector<ValueLifetime> values;   // what was planned, as given
  std::vector<int> value_buffer;       // value index -> buffer index
  std::vector<int64_t> value_offset;   // value index -> byte offset in its buffer (0 unless it aliases)
  std::vector<int> value_root;         // value index -> the value whose buffer it is in (itself unless it aliases)
  std::vector<int64_t> buffer_bytes;   // buffer index -> size (the largest value it holds)
  int64_t planned_bytes = 0;           // sum of buffer_bytes
  int64_t unplanned_bytes = 0;         // sum of the values' bytes: one buffer each (aliases none)
};

// Plans `values` (any order; placed by their def step, ties in index order).
MemoryPlan plan_memory(const std::vector<ValueLifetime>& values);

}  // namespace bcd::executor
