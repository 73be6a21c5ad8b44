// The records log: every measured candidate of a tuning run, one JSON object per
// line (JSON lines), appended and flushed once per measurement round. The log is
// the run's memory: resume reads it back to skip measured work, and apply-best
// replays the fastest schedule of each workload from it.
//
// A line (keys in this order; "steps" is schedule::history_to_json):
//   {"v":1,"key":"9f3c0e1a2b4d5c6e","task":"dense","target":"llvm",
//    "steps":[["SP",2,0,8,[4],1],["AN",2,0,"parallel"]],"costs":[1.5e-05,1.4e-05],
//    "error":"none","error_msg":"","build_s":0.21,"run_s":0.003,"time":1764123456.5}
//
// Crash safety: a round is written with one write() and fsync'ed, so a crash or a
// kill -9 can at worst leave the last line torn. load_records skips such a line with
// a warning; RecordWriter drops it when it reopens the file, so that the next
// round's records do not get glued onto it.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/compute_dag.h"
#include "runtime/measure.h"
#include "schedule/state.h"
#include "schedule/transform_step.h"
#include "target/target.h"

namespace bcd::tuning {

// The record format this bcd writes and the only one it reads.
inline constexpr int kRecordFormatVersion = 1;

struct Record {
  int version = kRecordFormatVersion;
  std::string workload_key;  // ir::ComputeDAG::workload_key()
  std::string task;          // human-readable, e.g. "conv2d_add_relu"
  std::string target;        // the task's Target::str() ("llvm" in records of earlier versions)
  std::vector<schedule::Step> steps;
  runtime::MeasureResult result;
  double timestamp = 0;  // seconds since the epoch, when measured

  // Measured without error, with at least one cost.
  bool ok() const;
  // Mean cost in seconds; +inf unless ok(), so error records never win.
  double cost() const;
};

// Seconds since the epoch, for Record::timestamp.
double now_seconds();

// One compact JSON object, without the newline. Fails on a cost that JSON cannot
// hold (NaN, inf): such a line could never be read back.
std::string record_to_line(const Record& record);
// Parses one line; fails with a one-line message (without the file and line
// number, which the caller adds) on malformed JSON, a missing or mistyped field,
// a malformed step, an unknown error kind or an unknown format version.
Record record_from_line(const std::string& line);

// Appends records to a log file, one round at a time. Records already in the file
// are never rewritten.
class RecordWriter {
 public:
  // Opens `path` for appending, creating it and its parent directories. If the
  // file ends in a torn line (no newline: a crash mid-write), the torn bytes are
  // dropped, with a note in `warnings`, when they are not a complete JSON object;
  // a complete one just gets its newline.
  explicit RecordWriter(const std::string& path, std::vector<std::string>* warnings = nullptr);
  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;
  RecordWriter(RecordWriter&& other) noexcept;
  RecordWriter& operator=(RecordWriter&& other) noexcept;

  // Writes all records as lines and flushes them to disk (fsync) before
  // returning. Every record is serialized before anything is written, so a record
  // that cannot be written fails the call with nothing written.
  void append(const std::vector<Record>& records);

  const std::string& path() const { return path_; }

 private:
  void close();
  std::string path_;
  int fd_ = -1;
};

// Reads a log. A missing file gives no records. A last line that is not valid JSON
// (torn by a crash) is skipped and described in `warnings` (the caller prints
// them). Any other malformed line fails with a one-line error naming the file and
// the line number. Blank lines are ignored.
std::vector<Record> load_records(const std::string& path, std::vector<std::string>* warnings = nullptr);

// Whether a record was measured under a target whose measurements hold for
// `target` (same_measurements; any record when `target` is null). A log holds few
// distinct target strings: each is parsed once.
class TargetFilter {
 public:
  explicit TargetFilter(const Target* target) : target_(target) {}
  bool operator()(const Record& r);

 private:
  const Target* target_;
  std::map<std::string, bool> seen_;
};

// All of these consider only records of `workload_key`, and, when `target` is
// given, records measured under a target whose measurements hold for it
// (same_measurements: the same kind and hardware). Ties go to the earlier record.

// The successful record with the lowest mean cost, or nullptr. Points into
// `records` (hence no overload for a temporary vector).
const Record* best_record(const std::vector<Record>& records, const std::string& workload_key,
                          const Target* target = nullptr);
const Record* best_record(std::vector<Record>&&, const std::string&, const Target* = nullptr) = delete;

// Workload key -> its best successful record (keys without one are absent).
std::map<std::string, const Record*> best_records_by_key(const std::vector<Record>& records,
                                                         const Target* target = nullptr);
std::map<std::string, const Record*> best_records_by_key(std::vector<Record>&&, const Target* = nullptr) = delete;

// Measured candidates of the workload, error records included (they used trials).
int count_records(const std::vector<Record>& records, const std::string& workload_key,
                  const Target* target = nullptr);

// The State of the best record of dag.workload_key() replayed on `dag`, or nullopt
// if the workload has no successful record. Fails (naming the workload) if the
// best record's steps do not apply to `dag`: the log does not match the DAG.
std::optional<schedule::State> apply_best(const ir::ComputeDAG& dag, const std::vector<Record>& records,
                                          const Target* target = nullptr);

}  // namespace bcd::tuning
