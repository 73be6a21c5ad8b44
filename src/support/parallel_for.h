// Runs independent work items on all cores. Deterministic callers draw every
// random number an item needs (its own seed) before the call, so the result does
// not depend on the number of threads or their timing.
#pragma once
#include <cstddef>
#include <functional>

namespace bcd {

// body(i) for every i in [0, n), on up to hardware_concurrency() threads (inline
// when that or n is 1). Returns when all are done; rethrows the first exception
// thrown by a body, after the other threads finish.
void parallel_for(size_t n, const std::function<void(size_t)>& body);

}  // namespace bcd
