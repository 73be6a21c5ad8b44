#include "tuning/latency_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace bcd::tuning {

namespace {

constexpr double kWidth = 720, kHeight = 440, kLeft = 70, kRight = 20, kTop = 40, kBottom = 50;
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `ticks` ticks.
double tick_step(double range, int ticks) {
  double raw = range / ticks, power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

}  // namespace

std::string latency_plot_svg(const std::vector<PlotSeries>& series, const std::string& title, double reference_ms) {
  double max_t = 1, max_ms = reference_ms;
  // The first estimates are often far above the rest; cap the axis at 3x the
  // latest estimate of the slowest-ending run so the interesting part is visible.
  double last_max = 0;
  for (const auto& s : series) {
    for (const auto& r : s.rows) {
      max_t = std::max(max_t, r.elapsed_seconds);
      if (r.latency_ms) max_ms = std::max(max_ms, *r.latency_ms);
    }
    for (auto it = s.rows.rbegin(); it != s.rows.rend(); ++it)
      if (it->latency_ms) {
        last_max = std::max(last_max, *it->latency_ms);
        break;
      }
  }
  if (last_max > 0) max_ms = std::min(max_ms, 3 * last_max);
  if (max_ms <= 0) max_ms = 1;
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto x = [&](double t) { return kLeft + pw * t / max_t; };
  auto y = [&](double ms) { return kTop + ph * (1 - std::min(ms, max_ms) / max_ms); };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      kWidth, kHeight);
  svg += fmt::format("<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n", kWidth / 2,
                     escape(title));
  double xs = tick_step(max_t, 8), ys = tick_step(max_ms, 6);
  for (double t = 0; t <= max_t + 1e-9; t += xs)
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4:g}</text>\n",
        x(t), kTop, kTop + ph, kTop + ph + 16, t);
  for (double v = 0; v <= max_ms + 1e-12; v += ys)
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:g}</text>\n",
        kLeft, y(v), kLeft + pw, kLeft - 6, y(v) + 4, v);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">elapsed tuning time (s)</text>\n", kLeft + pw / 2,
                     kHeight - 12);
  svg += fmt::format(
      "<text x=\"16\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {0})\">latency (ms)</text>\n",
      kTop + ph / 2);
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", kLeft, kTop,
                     pw, ph);
  if (reference_ms > 0)
    svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#555\" stroke-dasharray=\"5,4\"/>\n",
                       kLeft, y(reference_ms), kLeft + pw, y(reference_ms));
  for (size_t i = 0; i < series.size(); ++i) {
    const char* color = kColors[i % std::size(kColors)];
    std::string points;
    double prev_ms = -1;
    for (const auto& r : series[i].rows) {
      if (!r.latency_ms) continue;
      if (prev_ms >= 0) points += fmt::format("{:.1f},{:.1f} ", x(r.elapsed_seconds), y(prev_ms));  // the step
      points += fmt::format("{:.1f},{:.1f} ", x(r.elapsed_seconds), y(*r.latency_ms));
      prev_ms = *r.latency_ms;
    }
    svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n", color, points);
    double ly = kTop + 14 + 18 * static_cast<double>(i);
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"2\"/>"
        "<text x=\"{4}\" y=\"{5}\">{6}</text>\n",
        kLeft + pw - 220, ly, kLeft + pw - 196, color, kLeft + pw - 190, ly + 4, escape(series[i].label));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace bcd::tuning
