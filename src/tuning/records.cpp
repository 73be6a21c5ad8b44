#include "tuning/records.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/error.h"
#include "support/json_fields.h"

namespace bcd::tuning {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

bool Record::ok() const {
  return result.error == runtime::MeasureError::None && !result.costs.empty();
}

double Record::cost() const {
  return ok() ? result.mean_cost() : std::numeric_limits<double>::infinity();
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// --- one line -------------------------------------------------------------------

namespace {

// JSON writes NaN and inf as null, which would make the line unreadable; refuse
// them here, where the caller's mistake can still be named.
void check_finite(double value, const char* field, const Record& r) {
  if (!std::isfinite(value))
    fail("cannot write a record of workload {}: field \"{}\" is {}", r.workload_key, field, value);
}
}  // namespace

std::string record_to_line(const Record& r) {
  for (double c : r.result.costs) check_finite(c, "costs", r);
  check_finite(r.result.build_seconds, "build_s", r);
  check_finite(r.result.run_seconds, "run_s", r);
  check_finite(r.timestamp, "time", r);
  // ordered_json keeps the keys in the documented order, for people reading logs.
  ordered_json j;
  j["v"] = r.version;
  j["key"] = r.workload_key;
  j["task"] = r.task;
  j["target"] = r.target;
  j["steps"] = ordered_json(schedule::history_to_json(r.steps));
  j["costs"] = r.result.costs;
  j["error"] = runtime::measure_error_name(r.result.error);
  j["error_msg"] = r.result.error_message;
  j["build_s"] = r.result.build_seconds;
  j["run_s"] = r.result.run_seconds;
  j["time"] = r.timestamp;
  // Error messages carry compiler output, which need not be valid UTF-8; replace
  // bad bytes instead of failing to record the measurement.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Record record_from_line(const std::string& line) {
  json j = parse_json_text(line);
  if (!j.is_object()) fail("not a JSON object");
  FieldReader f(j);
  const json& v = f.required("v");
  if (!v.is_number_integer()) fail("field \"v\" must be an integer");
  if (v.get<int64_t>() != kRecordFormatVersion)
    fail("unknown record format version {} (this bcd reads version {})", v.dump(), kRecordFormatVersion);

  Record r;
  r.version = kRecordFormatVersion;
  r.workload_key = f.str("key");
  if (r.workload_key.empty()) fail("field \"key\" is empty");
  r.task = f.str("task", "");
  r.target = f.str("target");
  if (r.target.empty()) fail("field \"target\" is empty");
  r.steps = schedule::history_from_json(f.required("steps"));
  if (const json* costs = f.find("costs")) {
    if (!costs->is_array()) fail("field \"costs\" must be a list of numbers");
    for (const json& c : *costs) {
      if (!c.is_number()) fail("field \"costs\" must be a list of numbers");
      // A measured time is positive: a zero or negative cost would win every
      // comparison (an infinite FLOP rate) and become the best schedule.
      if (!(c.get<double>() > 0)) fail("field \"costs\" holds {}, but a measured time is positive", c.dump());
      r.result.costs.push_back(c.get<double>());
    }
  }
  r.result.error = runtime::measure_error_from_name(f.str("error"));
  r.result.error_message = f.str("error_msg", "");
  r.result.build_seconds = f.number("build_s", 0);
  r.result.run_seconds = f.number("run_s", 0);
  r.timestamp = f.number("time", 0);
  return r;
}

// --- writing --------------------------------------------------------------------

namespace {

std::string errno_text() { return std::strerror(errno); }

// Writes all of `data` at the end of the file, retrying short writes.
bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// The bytes of the file after its last newline (the whole file if it has none),
// and where they start. Reads backwards in chunks: logs grow large, lines do not.
std::pair<off_t, std::string> unterminated_tail(int fd, off_t size, const std::string& path) {
  constexpr off_t kChunk = 1 << 16;
  std::string tail;
  off_t end = size;
  while (end > 0) {
    off_t begin = std::max<off_t>(0, end - kChunk);
    std::string chunk(static_cast<size_t>(end - begin), '\0');
    ssize_t n = ::pread(fd, chunk.data(), chunk.size(), begin);
    if (n != static_cast<ssize_t>(chunk.size())) fail("cannot read records file {}: {}", path, errno_text());
    size_t nl = chunk.rfind('\n');
    if (nl != std::string::npos) {
      return {begin + static_cast<off_t>(nl) + 1, chunk.substr(nl + 1) + tail};
    }
    tail = chunk + tail;
    end = begin;
  }
  return {0, tail};
}

}  // namespace

RecordWriter::RecordWriter(const std::string& path, std::vector<std::string>* warnings) : path_(path) {
  fs::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) fail("cannot create directory {} for records file: {}", p.parent_path().string(), ec.message());
  }
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open records file {} for appending: {}", path, errno_text());
  try {
    // Left as it is, a torn last line would have the next round's first record
    // glued onto it, turning a skippable tail into a malformed middle line.
    struct stat st;
    if (::fstat(fd_, &st) != 0) fail("cannot stat records file {}: {}", path, errno_text());
    if (st.st_size == 0) return;
    char last = 0;
    if (::pread(fd_, &last, 1, st.st_size - 1) != 1) fail("cannot read records file {}: {}", path, errno_text());
    if (last == '\n') return;
    auto [start, tail] = unterminated_tail(fd_, st.st_size, path);
    if (json::accept(tail)) {
      // A complete object that only lacks its newline is a record: keep it.
      if (!write_all(fd_, "\n")) fail("cannot write records file {}: {}", path, errno_text());
    } else {
      if (::ftruncate(fd_, start) != 0) fail("cannot repair records file {}: {}", path, errno_text());
      if (warnings)
        warnings->push_back(fmt::format("{}: dropped a torn last line ({} bytes, not valid JSON) before appending",
                                        path, tail.size()));
    }
    if (::fsync(fd_) != 0) fail("cannot flush records file {}: {}", path, errno_text());
  } catch (...) {
    close();
    throw;
  }
}

RecordWriter::~RecordWriter() { close(); }

RecordWriter::RecordWriter(RecordWriter&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

RecordWriter& RecordWriter::operator=(RecordWriter&& other) noexcept {
  if (this != &other) {
    close();
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void RecordWriter::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RecordWriter::append(const std::vector<Record>& records) {
  if (fd_ < 0) fail("records file {} is not open", path_);
  if (records.empty()) return;
  std::string data;
  for (const Record& r : records) {
    data += record_to_line(r);
    data += '\n';
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0) fail("cannot stat records file {}: {}", path_, errno_text());
  if (!write_all(fd_, data)) {
    std::string why = errno_text();
    // Best effort: take back a partial write (e.g. disk full) so the file keeps
    // ending at a whole line.
    if (::ftruncate(fd_, st.st_size) != 0) why += " (and the partial write could not be taken back)";
    fail("cannot write records file {}: {}", path_, why);
  }
  if (::fsync(fd_) != 0) fail("cannot flush records file {}: {}", path_, errno_text());
}

// --- reading --------------------------------------------------------------------

std::vector<Record> load_records(const std::string& path, std::vector<std::string>* warnings) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) return {};
  if (ec) fail("cannot read records file {}: {}", path, ec.message());
  if (status.type() == fs::file_type::directory) fail("cannot read records file {}: it is a directory", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read records file {}: {}", path, errno_text());
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) fail("cannot read records file {}: read error", path);
  const std::string text = buffer.str();

  // Split into lines, remembering each one's number.
  std::vector<std::pair<int, std::string>> lines;
  int number = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl;
    ++number;
    std::string line = text.substr(pos, end - pos);
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.emplace_back(number, std::move(line));
    pos = end + 1;
  }

  std::vector<Record> records;
  records.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& [line_number, line] = lines[i];
    // Only the last line can be torn: we write whole lines, so a crash cuts at
    // most the end of the file. A torn line is never a complete JSON object.
    if (i + 1 == lines.size() && !json::accept(line)) {
      if (warnings)
        warnings->push_back(fmt::format("{}:{}: skipped a torn last line ({} bytes, not valid JSON; "
                                        "was the tuner stopped mid-write?)",
                                        path, line_number, line.size()));
      break;
    }
    try {
      records.push_back(record_from_line(line));
    } catch (const Error& e) {
      fail("{}:{}: malformed record: {}", path, line_number, e.what());
    } catch (const json::exception& e) {
      fail("{}:{}: malformed record: {}", path, line_number, without_json_prefix(e.what()));
    }
  }
  return records;
}

// --- queries --------------------------------------------------------------------

bool TargetFilter::operator()(const Record& r) {
  if (!target_) return true;
  auto [it, inserted] = seen_.try_emplace(r.target, false);
  if (inserted) it->second = same_measurements(r.target, *target_);
  return it->second;
}

const Record* best_record(const std::vector<Record>& records, const std::string& workload_key,
                          const Target* target) {
  TargetFilter same_target(target);
  const Record* best = nullptr;
  for (const Record& r : records) {
    if (!r.ok() || r.workload_key != workload_key || !same_target(r)) continue;
    if (!best || r.cost() < best->cost()) best = &r;
  }
  return best;
}

std::map<std::string, const Record*> best_records_by_key(const std::vector<Record>& records, const Target* target) {
  TargetFilter same_target(target);
  std::map<std::string, const Record*> best;
  for (const Record& r : records) {
    if (!r.ok() || !same_target(r)) continue;
    auto [it, inserted] = best.try_emplace(r.workload_key, &r);
    if (!inserted && r.cost() < it->second->cost()) it->second = &r;
  }
  return best;
}

int count_records(const std::vector<Record>& records, const std::string& workload_key, const Target* target) {
  TargetFilter same_target(target);
  int n = 0;
  for (const Record& r : records) n += r.workload_key == workload_key && same_target(r);
  return n;
}

std::optional<schedule::State> apply_best(const ir::ComputeDAG& dag, const std::vector<Record>& records,
                                          const Target* target) {
  const Record* best = best_record(records, dag.workload_key(), target);
  if (!best) return std::nullopt;
  try {
    return schedule::replay(dag, best->steps);
  } catch (const Error& e) {
    fail("the best record of workload {} ({}) does not apply to its DAG: {}", dag.workload_key(),
         best->task.empty() ? dag.description() : best->task, e.what());
  }
}

}  // namespace bcd::tuning
