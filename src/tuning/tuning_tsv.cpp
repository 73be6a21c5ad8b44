#include "tuning/tuning_tsv.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/error.h"

namespace bcd::tuning {

std::string tsv_line(const TsvRow& row) {
  std::string latency = row.latency_ms ? fmt::format("{:.3f}", *row.latency_ms) : "N/A";
  // %.0f of the artifact rounds half to even like printf; fmt's {:.0f} does the same.
  return fmt::format("ElapsedTime(s)\t{:.0f}\tEstimatedLatency(ms)\t{}\tTrials\t{}\n", row.elapsed_seconds, latency,
                     row.trials);
}

TsvRow tsv_row_from_line(const std::string& raw) {
  std::string line = raw;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string f; std::getline(in, f, '\t');) fields.push_back(f);
  if (fields.size() != 6 || fields[0] != "ElapsedTime(s)" || fields[2] != "EstimatedLatency(ms)" ||
      fields[4] != "Trials")
    fail("not a tuning TSV line (want ElapsedTime(s)\\t<s>\\tEstimatedLatency(ms)\\t<ms>\\tTrials\\t<n>)");
  TsvRow row;
  try {
    size_t used = 0;
    row.elapsed_seconds = std::stod(fields[1], &used);
    if (used != fields[1].size()) throw std::invalid_argument("elapsed");
    if (fields[3] != "N/A") {
      row.latency_ms = std::stod(fields[3], &used);
      if (used != fields[3].size() || !std::isfinite(*row.latency_ms)) throw std::invalid_argument("latency");
    }
    row.trials = std::stoi(fields[5], &used);
    if (used != fields[5].size()) throw std::invalid_argument("trials");
  } catch (const std::exception&) {
    fail("malformed number in tuning TSV line '{}'", line);
  }
  return row;
}

std::vector<TsvRow> load_tsv(const std::string& path) {
  std::vector<TsvRow> rows;
  std::ifstream in(path, std::ios::binary);
  if (!in) return rows;
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t start = 0;
  int number = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    bool torn = end == std::string::npos;
    std::string line = content.substr(start, torn ? std::string::npos : end - start);
    ++number;
    start = torn ? content.size() : end + 1;
    if (line.empty()) continue;
    try {
      rows.push_back(tsv_row_from_line(line));
    } catch (const Error& e) {
      if (torn) break;  // the run died while writing its last line
      fail("{}:{}: {}", path, number, e.what());
    }
  }
  return rows;
}

TsvWriter::TsvWriter(const std::string& path) : path_(path) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  // A torn last line (the run died mid-write) is dropped so that the next row
  // starts a line of its own; it only held a round that the records still have.
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!content.empty() && content.back() != '\n') {
      size_t keep = content.rfind('\n');
      std::filesystem::resize_file(path, keep == std::string::npos ? 0 : keep + 1);
    }
  }
  std::ofstream out(path, std::ios::app);
  if (!out) fail_io(errno, "cannot write the tuning TSV " + path);
}

void TsvWriter::append(const TsvRow& row) {
  std::ofstream out(path_, std::ios::app);
  out << tsv_line(row);
  out.flush();
  if (!out) fail_io(errno, "cannot write the tuning TSV " + path_);
}

}  // namespace bcd::tuning
