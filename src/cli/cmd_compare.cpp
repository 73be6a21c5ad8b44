#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "cli/commands.h"
#include "api/remeasure.h"
#include "support/error.h"
#include "tuning/latency_plot.h"
#include "tuning/measurement_drift.h"
#include "tuning/run_comparison.h"
#include "tuning/run_dir.h"
#include "tuning/task_comparison.h"

namespace bcd::cli {

namespace {

namespace fs = std::filesystem;

struct CompareOptions {
  std::string run_a, run_b, out;
  std::string title = "estimated latency during tuning";
  int remeasure = 0;  // rounds of the side-by-side re-measurement; 0: none
};

struct LoadedRun {
  std::string label;
  std::vector<tuning::TsvRow> rows;
  std::optional<std::vector<tuning::Record>> records;  // a run directory's records log, when it has one
  std::optional<nlohmann::json> info;                  // its run.json, when it has one
};

// A run directory (its tuning.tsv, labelled from run.json) or a TSV file.
LoadedRun load_run(const std::string& path) {
  LoadedRun run;
  std::string tsv = path;
  run.label = path;
  if (fs::is_directory(path)) {
    tuning::RunDir dir{path};
    tsv = dir.tsv();
    if (fs::exists(dir.records())) {
      std::vector<std::string> warnings;
      run.records = tuning::load_records(dir.records(), &warnings);
      for (const auto& w : warnings) fmt::print(stderr, "bcd: warning: {}\n", w);
    }
    if (fs::exists(dir.info())) {
      run.info = tuning::load_run_info(dir);
      run.label = tuning::run_label(*run.info);
    }
  }
  if (!fs::exists(tsv)) fail("{}: no tuning TSV at {}", path, tsv);
  run.rows = tuning::load_tsv(tsv);
  if (run.rows.empty()) fail("{}: the tuning TSV is empty", tsv);
  return run;
}

int run_compare(const CompareOptions& o) {
  LoadedRun a = load_run(o.run_a), b = load_run(o.run_b);
  if (a.label == b.label) a.label = "A: " + a.label, b.label = "B: " + b.label;
  tuning::RunComparison c = tuning::compare_runs(a.rows, b.rows);
  std::string md = tuning::comparison_markdown(c, a.label, b.label);
  std::optional<tuning::MeasurementDrift> drift;
  std::optional<tuning::RunComparison> adjusted;
  if (a.records && b.records) drift = tuning::measurement_drift(*a.records, *b.records);
  if (drift) {
    adjusted = tuning::compare_runs(a.rows, tuning::rescaled(b.rows, drift->median));
    md += tuning::drift_markdown(*drift, *adjusted);
  }
  std::optional<api::Remeasurement> remeasured;
  if (o.remeasure > 0) {
    if (!a.records || !b.records || !a.info || !b.info)
      fail("--remeasure needs two run directories, each with its records and run.json");
    if (a.info->value("model", nlohmann::json()) != b.info->value("model", nlohmann::json()) ||
        a.info->value("target", nlohmann::json()) != b.info->value("target", nlohmann::json()))
      fail("--remeasure: {} and {} tuned different models or targets", o.run_a, o.run_b);
    fmt::print("re-measuring every task's best program of both runs, {} rounds...\n", o.remeasure);
    remeasured = api::remeasure_best(*a.info, *a.records, *b.records, o.remeasure);
    md += api::remeasurement_markdown(*remeasured);
  }
  if (a.records && b.records)
    md += "\n## Per task\n\n" + tuning::task_comparison_markdown(tuning::compare_tasks(*a.records, *b.records),
                                                                   a.label, b.label);
  std::string out_dir = o.out.empty() ? (fs::is_directory(o.run_b) ? o.run_b : ".") : o.out;
  fs::create_directories(out_dir);
  std::string md_path = (fs::path(out_dir) / "compare.md").string();
  std::string svg_path = (fs::path(out_dir) / "compare.svg").string();
  std::ofstream(md_path) << md;
  std::ofstream(svg_path) << tuning::latency_plot_svg({{a.label, a.rows}, {b.label, b.rows}},
                                                      o.title, c.a_best_ms);
  fmt::print("{}\n", md);
  fmt::print("table     {}\nplot      {}\n", md_path, svg_path);
  // One machine-readable line for scripts (the experiment takes medians of it).
  auto speedup = [](const tuning::RunComparison& r) {
    return r.speedup ? fmt::format("{:.4f}", *r.speedup) : std::string("never");
  };
  fmt::print(
      "metric speedup {} first_ratio {:.4f} last_ratio {:.4f} drift {} programs {} adjusted_speedup {} "
      "remeasured_ratio {}\n",
      speedup(c), c.first_latency_ratio, c.last_latency_ratio, drift ? fmt::format("{:.4f}", drift->median) : "-",
      drift ? drift->programs : 0, adjusted ? speedup(*adjusted) : "-",
      remeasured ? fmt::format("{:.4f}", remeasured->b_seconds / remeasured->a_seconds) : "-");
  return 0;
}

}  // namespace

CommandRunner add_compare_command(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "compare two tuning runs (A: baseline, B: new): compilation-time speedup, latency ratios, a plot");
  cmd->add_option("run_a", o->run_a, "run directory (or tuning TSV) of the baseline, e.g. an ansor run")->required();
  cmd->add_option("run_b", o->run_b, "run directory (or tuning TSV) to compare, e.g. a diffusion run")->required();
  cmd->add_option("--out", o->out, "where compare.md and compare.svg go (default: B's run directory)");
  cmd->add_option("--remeasure", o->remeasure,
                  "time every task's best program of A and of B alternately in this process, this many rounds "
                  "(medians), so that both estimates come from one machine state; 0: off")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--title", o->title, "the plot's title (e.g. for TSVs of measured, not estimated, latencies)")
      ->capture_default_str();
  return [o] { return run_compare(*o); };
}

}  // namespace bcd::cli
