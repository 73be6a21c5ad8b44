#include "executor/memory_plan.h"

#include <algorithm>
#include <numeric>

#include "support/error.h"

namespace bcd::executor {

MemoryPlan plan_memory(const std::vector<ValueLifetime>& values) {
  MemoryPlan plan;
  plan.values = values;
  plan.value_buffer.assign(values.size(), -1);
  std::vector<int> order(values.size());
  std::iota(order.begin(), order.end(), 0);
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
  for (int64_t b : plan.buffer_bytes) plan.planned_bytes += b;
  for (const ValueLifetime& v : values) plan.unplanned_bytes += v.bytes;
  return plan;
}

}  // namespace bcd::executor
