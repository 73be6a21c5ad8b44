// Confirming a round's fastest candidate before it is reported. A program's time
// depends on the worker process that ran it, not only on its schedule: on the
// 2-core Zen 3 VM some programs took 1.4-3x longer in one worker invocation than
// in another (docs/results/diffusion/evaluation/README.md), and a tuner that keeps
// the fastest of hundreds of noisy times keeps a lucky one. So the round's fastest
// is measured again in a fresh worker, checked against the expected output there,
// and keeps the slower of its two times: a task's best program is one that was fast
// in every worker it ran in. If another candidate is then the fastest, it is
// confirmed in turn.
#pragma once
#include <functional>
#include <vector>

#include "runtime/measure.h"

namespace bcd::tuning {

// Measures candidate `index` again in a fresh worker, with verification; timed with
// the round's settings when `time_it`, else run once (a check only).
using MeasureAgain = std::function<runtime::MeasureResult(size_t index, bool time_it)>;

struct Confirmation {
  int measured = 0;  // candidates measured again
  int retimed = 0;   // of them, timed
};

// Confirms the fastest valid result until the fastest is a confirmed one. At most
// `max_retimes` confirmations are timings; after them (or with 0), candidates are
// only checked. A candidate whose check fails takes that error (and loses its
// costs).
Confirmation confirm_fastest(std::vector<runtime::MeasureResult>& results, const MeasureAgain& measure_again,
                             int max_retimes);

}  // namespace bcd::tuning
