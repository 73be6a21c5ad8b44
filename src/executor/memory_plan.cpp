#include "executor/memory_plan.h"

#include <algorithm>

#include "support/error.h"

namespace bcd::executor {

MemoryPlan plan_memory(const std::vector<ValueLifetime>& values) {
  MemoryPlan plan;
  plan.values = values;
  plan.value_buffer.assign(values.size(), -1);
  plan.value_offset.assign(values.size(), 0);
  plan.value_root.resize(values.size());
  // Aliases first: each resolved to the value at the end of its chain, whose buffer
  // it shares, at the sum of the offsets.
  for (size_t v = 0; v < values.size(); ++v) {
    int root = static_cast<int>(v);
    for (size_t hops = 0; values[root].alias_of >= 0; ++hops) {
      BCD_CHECK(hops < values.size() && values[root].alias_of < static_cast<int>(values.size()),
                "value {} aliases in a cycle or outside the values", v);
      plan.value_offset[v] += values[root].alias_offset;
      root = values[root].alias_of;
    }
    plan.value_root[v] = root;
    const ValueLifetime& r = values[root];
    BCD_CHECK(r.def <= values[v].def && r.last_use >= values[v].last_use &&
                  plan.value_offset[v] >= 0 && plan.value_offset[v] + values[v].bytes <= r.bytes,
              "value {} does not fit inside value {}, or outlives it", v, root);
  }
  std::vector<int> order;
  for (size_t v = 0; v < values.size(); ++v)
    if (values[v].alias_of < 0) order.push_back(static_cast<int>(v));
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return values[a].def < values[b].def; });

  // Buffers that are free at the current step, and values holding a buffer, to be
  // released once the walk has passed their last reader.
  std::vector<int> free_buffers;
  std::vector<int> live;  // value indices
  for (int v : order) {
    const ValueLifetime& value = values[v];
    BCD_CHECK(value.bytes >= 0 && value.last_use >= value.def, "bad lifetime of value {}", v);
    // Release what died strictly before this step: a value read by this very step
    // is still being read while this value is written.
    for (size_t i = 0; i < live.size();) {
      if (values[live[i]].last_use < value.def) {
        free_buffers.push_back(plan.value_buffer[live[i]]);
        live[i] = live.back();
        live.pop_back();
      } else {
        ++i;
      }
    }
    int chosen = -1;
    for (int b : free_buffers)  // smallest free buffer that fits
      if (plan.buffer_bytes[b] >= value.bytes && (chosen < 0 || plan.buffer_bytes[b] < plan.buffer_bytes[chosen]))
        chosen = b;
    if (chosen < 0)  // none fits: grow the largest free one, costing only the difference
      for (int b : free_buffers)
        if (chosen < 0 || plan.buffer_bytes[b] > plan.buffer_bytes[chosen]) chosen = b;
    if (chosen < 0) {
      chosen = static_cast<int>(plan.buffer_bytes.size());
      plan.buffer_bytes.push_back(0);
    } else {
      free_buffers.erase(std::find(free_buffers.begin(), free_buffers.end(), chosen));
    }
    plan.buffer_bytes[chosen] = std::max(plan.buffer_bytes[chosen], value.bytes);
    plan.value_buffer[v] = chosen;
    live.push_back(v);
  }
  for (size_t v = 0; v < values.size(); ++v) plan.value_buffer[v] = plan.value_buffer[plan.value_root[v]];
  for (int64_t b : plan.buffer_bytes) plan.planned_bytes += b;
  for (const ValueLifetime& v : values)
    if (v.alias_of < 0) plan.unplanned_bytes += v.bytes;
  return plan;
}

}  // namespace bcd::executor
