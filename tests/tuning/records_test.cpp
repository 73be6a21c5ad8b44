#include "tuning/records.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <unistd.h>

#include "ops/registry.h"
#include "support/error.h"
#include "testing/bcd_cli.h"
#include "testing/error_of.h"

using namespace bcd;
using bcd::testutil::read_file;
using namespace bcd::tuning;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test, removed afterwards.
class RecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / fmt::format("bcd_records_test_{}_{}", ::getpid(), info->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string log_path() const { return (dir_ / "sub" / "records.jsonl").string(); }
  fs::path dir_;
};

ir::ComputeDAG dense_dag() { return ops::build_op("dense", ops::OpParams::parse("m=8,n=8,k=8")).dag; }

// Stages of dense: A(0), B(1), dense(2) with loops i, j, k.
std::vector<schedule::Step> some_steps() {
  return {schedule::split_step(2, 0, 8, {4}),
          schedule::annotation_step(2, 0, schedule::IterAnnotation::Parallel),
          schedule::pragma_step(2, 0, "auto_unroll_max_step$16")};
}

Record make_record(const std::string& key, std::vector<double> costs,
                   runtime::MeasureError error = runtime::MeasureError::None,
                   std::vector<schedule::Step> steps = some_steps(), const std::string& target = "llvm") {
  Record r;
  r.workload_key = key;
  r.task = "dense";
  r.target = target;
  r.steps = std::move(steps);
  r.result.costs = std::move(costs);
  r.result.error = error;
  r.result.build_seconds = 0.25;
  r.result.run_seconds = 0.0031;
  r.timestamp = 1764123456.123456;
  return r;
}


void append_raw(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

using testutil::error_of;

std::string steps_dump(const std::vector<schedule::Step>& steps) { return schedule::history_to_json(steps).dump(); }

}  // namespace

TEST_F(RecordsTest, RoundTripKeepsEveryField) {
  std::vector<Record> written = {make_record("00112233aabbccdd", {1.0 / 3.0, 2.5e-7, 1e-5}),
                                 make_record("00112233aabbccdd", {}, runtime::MeasureError::Compile)};
  // A compiler message spans lines and may hold any text; the log stays one line per record.
  written[1].result.error_message = "error: line one\nline two \"quoted\" \xc3\xa9";
  RecordWriter(log_path()).append(written);

  std::string text = read_file(log_path());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_EQ(text.rfind("{\"v\":1,\"key\":\"00112233aabbccdd\",\"task\":\"dense\",\"target\":\"llvm\",\"steps\":", 0),
            0u)
      << text;

  std::vector<std::string> warnings;
  std::vector<Record> loaded = load_records(log_path(), &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(loaded.size(), written.size());
  for (size_t i = 0; i < written.size(); ++i) {
    const Record& a = written[i];
    const Record& b = loaded[i];
    EXPECT_EQ(b.version, kRecordFormatVersion);
    EXPECT_EQ(b.workload_key, a.workload_key);
    EXPECT_EQ(b.task, a.task);
    EXPECT_EQ(b.target, a.target);
    EXPECT_EQ(steps_dump(b.steps), steps_dump(a.steps));
    EXPECT_EQ(b.result.costs, a.result.costs);  // exact: doubles round-trip
    EXPECT_EQ(b.result.error, a.result.error);
    EXPECT_EQ(b.result.error_message, a.result.error_message);
    EXPECT_EQ(b.result.build_seconds, a.result.build_seconds);
    EXPECT_EQ(b.result.run_seconds, a.result.run_seconds);
    EXPECT_EQ(b.timestamp, a.timestamp);
  }
  EXPECT_TRUE(loaded[0].ok());
  EXPECT_FALSE(loaded[1].ok());
}

TEST_F(RecordsTest, MissingFileGivesNoRecords) {
  std::vector<std::string> warnings;
  EXPECT_TRUE(load_records(log_path(), &warnings).empty());
  EXPECT_TRUE(warnings.empty());
}

TEST_F(RecordsTest, AppendingKeepsEarlierRecords) {
  RecordWriter(log_path()).append({make_record("aaaaaaaaaaaaaaaa", {1e-3})});
  std::string first_round = read_file(log_path());
  {
    RecordWriter w(log_path());  // a resumed run reopens the same log
    w.append({make_record("bbbbbbbbbbbbbbbb", {2e-3})});
    w.append({make_record("cccccccccccccccc", {3e-3}), make_record("aaaaaaaaaaaaaaaa", {0.5e-3})});
  }
  std::string text = read_file(log_path());
  EXPECT_EQ(text.substr(0, first_round.size()), first_round);  // never rewritten
  std::vector<Record> loaded = load_records(log_path());
  ASSERT_EQ(loaded.size(), 4u);
  EXPECT_EQ(loaded[0].workload_key, "aaaaaaaaaaaaaaaa");
  EXPECT_EQ(loaded[1].workload_key, "bbbbbbbbbbbbbbbb");
  EXPECT_EQ(loaded[2].workload_key, "cccccccccccccccc");
  EXPECT_EQ(loaded[3].result.costs, std::vector<double>{0.5e-3});
}

TEST_F(RecordsTest, TornLastLineIsSkippedWithOneWarning) {
  std::vector<Record> round = {make_record("aaaaaaaaaaaaaaaa", {1e-3}), make_record("bbbbbbbbbbbbbbbb", {2e-3})};
  RecordWriter(log_path()).append(round);
  // What a kill -9 in the middle of a write leaves: part of a line, no newline.
  std::string line = record_to_line(make_record("cccccccccccccccc", {3e-3}));
  append_raw(log_path(), line.substr(0, line.size() / 2));

  std::vector<std::string> warnings;
  std::vector<Record> loaded = load_records(log_path(), &warnings);
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[0].workload_key, "aaaaaaaaaaaaaaaa");
  EXPECT_EQ(loaded[1].workload_key, "bbbbbbbbbbbbbbbb");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("records.jsonl:3:"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("torn"), std::string::npos) << warnings[0];

  // Resuming: the writer drops the torn bytes so the next round starts on a line
  // of its own, and the log reads back clean.
  std::vector<std::string> writer_warnings;
  RecordWriter(log_path(), &writer_warnings).append({make_record("dddddddddddddddd", {4e-3})});
  EXPECT_EQ(writer_warnings.size(), 1u);
  warnings.clear();
  loaded = load_records(log_path(), &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[2].workload_key, "dddddddddddddddd");
}

TEST_F(RecordsTest, CompleteLastLineWithoutNewlineIsKept) {
  RecordWriter(log_path()).append({make_record("aaaaaaaaaaaaaaaa", {1e-3})});
  append_raw(log_path(), record_to_line(make_record("bbbbbbbbbbbbbbbb", {2e-3})));  // crash before '\n'
  std::vector<std::string> warnings;
  EXPECT_EQ(load_records(log_path(), &warnings).size(), 2u);
  EXPECT_TRUE(warnings.empty());
  RecordWriter(log_path(), &warnings).append({make_record("cccccccccccccccc", {3e-3})});
  EXPECT_TRUE(warnings.empty());
  std::vector<Record> loaded = load_records(log_path(), &warnings);
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[1].workload_key, "bbbbbbbbbbbbbbbb");
  EXPECT_EQ(loaded[2].workload_key, "cccccccccccccccc");
}

TEST_F(RecordsTest, CorruptedMiddleLineIsAnErrorNamingTheLine) {
  std::string good = record_to_line(make_record("aaaaaaaaaaaaaaaa", {1e-3}));
  fs::create_directories(fs::path(log_path()).parent_path());
  append_raw(log_path(), good + "\n" + good + "\n" + good.substr(0, 40) + "\n" + good + "\n");
  std::string msg = error_of([&] { load_records(log_path()); });
  EXPECT_NE(msg.find("records.jsonl:3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("malformed record"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST_F(RecordsTest, WrongVersionIsAnError) {
  nlohmann::json j = nlohmann::json::parse(record_to_line(make_record("aaaaaaaaaaaaaaaa", {1e-3})));
  j["v"] = 2;
  fs::create_directories(fs::path(log_path()).parent_path());
  // Last line, complete JSON: not torn, so it must not be skipped silently.
  append_raw(log_path(), record_to_line(make_record("aaaaaaaaaaaaaaaa", {1e-3})) + "\n" + j.dump() + "\n");
  std::vector<std::string> warnings;
  std::string msg = error_of([&] { load_records(log_path(), &warnings); });
  EXPECT_NE(msg.find("records.jsonl:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("version 2"), std::string::npos) << msg;
  EXPECT_TRUE(warnings.empty());
}

TEST_F(RecordsTest, MalformedFieldsGiveOneLineErrors) {
  nlohmann::json good = nlohmann::json::parse(record_to_line(make_record("aaaaaaaaaaaaaaaa", {1e-3})));
  auto with = [&](const char* key, nlohmann::json value) {
    nlohmann::json j = good;
    if (value.is_null()) j.erase(key);
    else j[key] = value;
    return j.dump();
  };
  struct Case {
    std::string line, expect;
  };
  std::vector<Case> cases = {
      {with("key", nullptr), "missing field \"key\""},
      {with("v", nullptr), "missing field \"v\""},
      {with("v", "1"), "\"v\" must be an integer"},
      {with("costs", nlohmann::json::array({1e-3, "fast"})), "\"costs\" must be a list of numbers"},
      // Impossible measurements would become the best schedule (an infinite rate).
      {with("costs", nlohmann::json::array({0.0})), "\"costs\" holds 0.0, but a measured time is positive"},
      {with("costs", nlohmann::json::array({1e-3, -2e-3})), "holds -0.002, but a measured time is positive"},
      {with("steps", nlohmann::json::array({nlohmann::json::array({"SP", 2})})), "step"},
      {with("steps", "SP"), "step history"},
      {with("target", 3), "\"target\" must be a string"},
      {"[1,2,3]", "not a JSON object"},
      {"{\"v\":1,", "invalid JSON"},
  };
  for (const Case& c : cases) {
    std::string msg = error_of([&] { record_from_line(c.line); });
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.line << " -> " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_NE(error_of([&] { record_from_line(with("error", "exploded")); }), "no error");
}

TEST_F(RecordsTest, UnwritableCostsAreRefusedBeforeAnythingIsWritten) {
  RecordWriter w(log_path());
  w.append({make_record("aaaaaaaaaaaaaaaa", {1e-3})});
  std::string before = read_file(log_path());
  std::string msg = error_of([&] {
    w.append({make_record("bbbbbbbbbbbbbbbb", {2e-3}), make_record("cccccccccccccccc", {std::nan("")})});
  });
  EXPECT_NE(msg.find("cccccccccccccccc"), std::string::npos) << msg;
  EXPECT_EQ(read_file(log_path()), before);
}

TEST_F(RecordsTest, UnopenableLogIsAOneLineError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  std::string msg = error_of([&] { RecordWriter((dir_ / "file" / "records.jsonl").string()); });
  EXPECT_NE(msg.find("cannot"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  msg = error_of([&] { load_records(dir_.string()); });
  EXPECT_NE(msg.find("directory"), std::string::npos) << msg;
}

TEST_F(RecordsTest, BestRecordPicksTheFastestSuccessfulOne) {
  const std::string a = "aaaaaaaaaaaaaaaa", b = "bbbbbbbbbbbbbbbb";
  std::vector<Record> records = {
      make_record(a, {3e-3, 3e-3}),
      make_record(a, {1e-9}, runtime::MeasureError::WrongAnswer),  // fast but wrong
      make_record(a, {}, runtime::MeasureError::Timeout),
      make_record(a, {1e-3, 2e-3}),  // mean 1.5e-3: the best
      make_record(a, {1.6e-3}),
      make_record(b, {0.5e-3}),
      make_record(a, {1e-4}, runtime::MeasureError::None, some_steps(), "cuda"),
  };
  const Target cpu = Target::cpu();
  const Record* best = best_record(records, a, &cpu);
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(best, &records[3]);
  EXPECT_DOUBLE_EQ(best->cost(), 1.5e-3);
  EXPECT_EQ(best_record(records, a), &records[6]);  // any target
  EXPECT_EQ(best_record(records, "cccccccccccccccc"), nullptr);
  std::vector<Record> only_errors = {make_record(a, {}, runtime::MeasureError::Runtime)};
  EXPECT_EQ(best_record(only_errors, a), nullptr);
  EXPECT_TRUE(std::isinf(only_errors[0].cost()));

  auto by_key = best_records_by_key(records, &cpu);
  ASSERT_EQ(by_key.size(), 2u);
  EXPECT_EQ(by_key.at(a), &records[3]);
  EXPECT_EQ(by_key.at(b), &records[5]);
  EXPECT_TRUE(best_records_by_key(only_errors).empty());

  EXPECT_EQ(count_records(records, a), 6);  // error records used trials too
  EXPECT_EQ(count_records(records, a, &cpu), 5);
  EXPECT_EQ(count_records(records, b), 1);
}

TEST_F(RecordsTest, ApplyBestReproducesTheState) {
  ir::ComputeDAG dag = dense_dag();
  std::vector<schedule::Step> fast = some_steps();
  std::vector<schedule::Step> slow = {schedule::split_step(2, 1, 8, {2})};
  schedule::State expected = schedule::replay(dag, fast);
  ASSERT_NE(expected.canonical_string(), schedule::replay(dag, slow).canonical_string());

  RecordWriter(log_path()).append({make_record(dag.workload_key(), {2e-3}, runtime::MeasureError::None, slow),
                                   make_record(dag.workload_key(), {1e-3}, runtime::MeasureError::None, fast),
                                   make_record(dag.workload_key(), {}, runtime::MeasureError::Compile, {})});
  std::vector<Record> loaded = load_records(log_path());
  std::optional<schedule::State> state = apply_best(dag, loaded);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->canonical_string(), expected.canonical_string());
  EXPECT_EQ(steps_dump(state->history()), steps_dump(fast));

  ir::ComputeDAG other = ops::build_op("dense", ops::OpParams::parse("m=4,n=8,k=8")).dag;
  EXPECT_FALSE(apply_best(other, loaded).has_value());

  // A log whose best steps do not fit the DAG fails, naming the workload.
  std::vector<Record> bad = {make_record(dag.workload_key(), {1e-3}, runtime::MeasureError::None,
                                         {schedule::split_step(2, 0, 8, {3})})};
  std::string msg = error_of([&] { apply_best(dag, bad); });
  EXPECT_NE(msg.find(dag.workload_key()), std::string::npos) << msg;
}
