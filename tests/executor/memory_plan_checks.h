// The invariants of any memory plan, as test assertions: every value fits its
// buffer (at its offset), two values share a buffer only if their lifetimes
// [def, last_use] are disjoint or one lives inside the other (an alias), and the
// totals add up.
#pragma once
#include <gtest/gtest.h>

#include "executor/memory_plan.h"

namespace bcd::testutil {

inline void expect_valid_plan(const executor::MemoryPlan& plan) {
  const auto& values = plan.values;
  ASSERT_EQ(plan.value_buffer.size(), values.size());
  int64_t planned = 0, unplanned = 0;
  for (int64_t b : plan.buffer_bytes) planned += b;
  for (const auto& v : values)
    if (v.alias_of < 0) unplanned += v.bytes;
  EXPECT_EQ(plan.planned_bytes, planned);
  EXPECT_EQ(plan.unplanned_bytes, unplanned);
  for (size_t a = 0; a < values.size(); ++a) {
    const int buffer = plan.value_buffer[a];
    ASSERT_GE(buffer, 0);
    ASSERT_LT(buffer, static_cast<int>(plan.buffer_bytes.size()));
    EXPECT_LE(plan.value_offset[a] + values[a].bytes, plan.buffer_bytes[buffer]) << "value " << a;
    if (values[a].alias_of >= 0) {
      // Inside its root's lifetime, which the pairs below check.
      const auto& root = values[plan.value_root[a]];
      EXPECT_TRUE(root.def <= values[a].def && values[a].last_use <= root.last_use) << "value " << a;
      continue;
    }
    for (size_t b = a + 1; b < values.size(); ++b) {
      if (plan.value_buffer[b] != buffer || values[b].alias_of >= 0) continue;
      const bool disjoint = values[a].last_use < values[b].def || values[b].last_use < values[a].def;
      EXPECT_TRUE(disjoint) << "values " << a << " [" << values[a].def << ", " << values[a].last_use << "] and " << b
                            << " [" << values[b].def << ", " << values[b].last_use << "] share buffer " << buffer;
    }
  }
}

}  // namespace bcd::testutil
