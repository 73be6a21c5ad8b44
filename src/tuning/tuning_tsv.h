// The per-round progress log of a network tuning run, in the research artifact's
// exact format so that its evaluation scripts (and ours) read both:
//   ElapsedTime(s)\t<seconds, %.0f>\tEstimatedLatency(ms)\t<%.3f or N/A>\tTrials\t<int>
// One line is appended after every measurement round; EstimatedLatency is N/A until
// every task has a valid measurement.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace bcd::tuning {

struct TsvRow {
  double elapsed_seconds = 0;
  std::optional<double> latency_ms;  // nullopt: N/A
  int trials = 0;
};

// One line, with its trailing newline.
std::string tsv_line(const TsvRow& row);
// Parses one line (with or without the newline); fails with a one-line message.
TsvRow tsv_row_from_line(const std::string& line);

// Reads a whole TSV; a missing file gives no rows; a malformed line fails naming the
// file and the line number, except a torn last line (a crash mid-write), which is
// skipped.
std::vector<TsvRow> load_tsv(const std::string& path);

// Appends rows to a TSV file, flushing each one (the artifact's callback does the
// same), creating the file and its parent directories.
class TsvWriter {
 public:
  explicit TsvWriter(const std::string& path);
  void append(const TsvRow& row);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace bcd::tuning
