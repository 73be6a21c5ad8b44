// An SVG plot of estimated network latency against elapsed tuning time for one or
// more runs (the artifact's comparison figure), with no plotting dependency: the
// curves are step lines on linear axes, the latency axis starting at zero.
#pragma once
#include <string>
#include <vector>

#include "tuning/tuning_tsv.h"

namespace bcd::tuning {

struct PlotSeries {
  std::string label;
  std::vector<TsvRow> rows;  // rows without a latency are skipped
};

// `reference_ms` > 0 draws a dashed horizontal line there (A's best latency).
std::string latency_plot_svg(const std::vector<PlotSeries>& series, const std::string& title, double reference_ms = 0);

}  // namespace bcd::tuning
