// The artifact's metric on hand-made TSV rows, and the plot's structure.
#include "tuning/run_comparison.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "testing/error_of.h"
#include "tuning/latency_plot.h"

namespace bcd::tuning {
namespace {

std::vector<TsvRow> rows(std::initializer_list<std::pair<double, double>> points) {
  std::vector<TsvRow> out;
  int trials = 0;
  for (auto [t, ms] : points) {
    trials += 64;
    out.push_back({t, ms > 0 ? std::optional<double>(ms) : std::nullopt, trials});
  }
  return out;
}

TEST(RunComparison, SpeedupIsTimeToATsBestOverBsTimeToReachIt) {
  // A reaches its best, 8 ms, at 600 s (and never improves afterwards).
  auto a = rows({{100, 0}, {200, 20}, {400, 10}, {600, 8}, {700, 8}});
  // B first gets at or below 8 ms at 300 s.
  auto b = rows({{50, 0}, {100, 16}, {300, 7.9}, {500, 6}});
  RunComparison c = compare_runs(a, b);
  EXPECT_DOUBLE_EQ(c.a_best_ms, 8);
  EXPECT_DOUBLE_EQ(c.a_seconds_to_best, 600);
  ASSERT_TRUE(c.b_seconds_to_a_best);
  EXPECT_DOUBLE_EQ(*c.b_seconds_to_a_best, 300);
  ASSERT_TRUE(c.speedup);
  EXPECT_DOUBLE_EQ(*c.speedup, 2.0);
  EXPECT_DOUBLE_EQ(c.first_latency_ratio, 20.0 / 16);
  EXPECT_DOUBLE_EQ(c.last_latency_ratio, 8.0 / 6);
  EXPECT_DOUBLE_EQ(c.b_best_ms, 6);
  EXPECT_EQ(c.a_trials, 5 * 64);
  std::string md = comparison_markdown(c, "ansor", "diffusion");
  EXPECT_NE(md.find("**2.00x**"), std::string::npos) << md;
}

TEST(RunComparison, ARunThatNeverGetsThereHasNoSpeedup) {
  RunComparison c = compare_runs(rows({{10, 5}, {20, 4}}), rows({{5, 9}, {30, 4.5}}));
  EXPECT_FALSE(c.b_seconds_to_a_best);
  EXPECT_FALSE(c.speedup);
  EXPECT_NE(comparison_markdown(c, "a", "b").find("never reached"), std::string::npos);
  EXPECT_EQ(testutil::error_of([] { compare_runs(rows({{10, 0}}), rows({{5, 9}})); }),
            "run A has no round with a complete estimated latency");
}

TEST(LatencyPlot, OneStepLinePerRunAndAReferenceLine) {
  std::string svg = latency_plot_svg({{"ansor", rows({{100, 20}, {200, 10}})}, {"diffusion <op>", rows({{50, 12}})}},
                                     "t", 10);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  size_t polylines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++polylines;
  EXPECT_EQ(polylines, 2u);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  EXPECT_NE(svg.find("diffusion &lt;op&gt;"), std::string::npos);  // labels are escaped
}

}  // namespace
}  // namespace bcd::tuning
