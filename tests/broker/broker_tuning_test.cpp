// Tuning through a real Redis broker with real `bcd worker` processes: the same
// records as the local path, a worker killed mid-job, a broker restarted or lost,
// tampered jobs, credentials. Each test starts its own redis-server on a free
// loopback port.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "broker/broker_session.h"
#include "broker/job.h"
#include "broker/keys.h"
#include "broker/worker_registry.h"
#include "ir/dag_json.h"
#include "ops/registry.h"
#include "search/target.h"
#include "support/version.h"
#include "testing/bcd_cli.h"
#include "testing/redis_server.h"
#include "tuning/records.h"
#include "tuning/task_measurer.h"

namespace fs = std::filesystem;
using namespace bcd;
using namespace bcd::testutil;
using ::testing::HasSubstr;

namespace {

using Clock = std::chrono::steady_clock;

#define REQUIRE_REDIS() \
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed (tools/install-deps.sh)"

// Worker processes that are killed (SIGTERM, then reaped) when the test ends.
class Workers {
 public:
  pid_t start(const std::string& url, const fs::path& log, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"worker", "--broker", url};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_t pid = spawn_bcd(args, log.string());
    pids_.push_back(pid);
    return pid;
  }
  ~Workers() {
    for (pid_t pid : pids_) kill(pid, SIGTERM);
    for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }

 private:
  std::vector<pid_t> pids_;
};

// Waits until `n` workers have a heartbeat on the broker.
void wait_for_workers(const RedisServer& redis, size_t n) {
  broker::RedisClient client(broker::parse_broker_url(redis.url()));
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (broker::live_workers(client).size() < n) {
    ASSERT_LT(Clock::now(), deadline) << "workers did not start";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::vector<std::string> tune_op(const fs::path& run, int trials, int per_round) {
  return {"tune-op",      "dense", "--params",  "m=16,n=16,k=16", "--num-trials", std::to_string(trials),
          "--num-measures-per-round", std::to_string(per_round), "--population", "16", "--num-iterations", "1",
          "--seed",       "3",     "--log-dir", run.string()};
}

std::vector<std::string> plus(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Each record's schedule once: nothing was measured twice.
void expect_no_duplicates(const std::vector<tuning::Record>& records) {
  std::set<std::string> seen;
  for (const auto& r : records) EXPECT_TRUE(seen.insert(schedule::history_to_json(r.steps).dump()).second);
}

int wait_status(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Jobs of the one run on the broker that a worker holds (delivered, not answered).
long long held_jobs(broker::RedisClient& client) {
  broker::RedisValue runs = client.command({"ZRANGE", broker::keys::kRuns, "0", "-1"});
  long long held = 0;
  for (const auto& run : runs.elements) {
    try {
      held += client.command({"XPENDING", broker::keys::jobs(run.str), broker::keys::kGroup}).at(0).integer;
    } catch (const Error&) {
    }
  }
  return held;
}

// Kills the broker, losing everything it held, once a tuner has registered its
// run, and starts it again 2 s later.
void restart_once_a_run_is_registered(RedisServer& redis, const fs::path& tuner_log) {
  {
    broker::RedisClient client(broker::parse_broker_url(redis.url()));
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (client.command({"ZCARD", broker::keys::kRuns}).integer == 0) {
      ASSERT_LT(Clock::now(), deadline) << read_file(tuner_log);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  redis.kill();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  redis.start();
}

}  // namespace

TEST(BrokerTuning, ThreeWorkersGiveTheRecordsOfTheLocalPathWithoutDuplicates) {
  REQUIRE_REDIS();
  fs::path dir = temp_dir("broker-three");
  RedisServer redis;
  Workers workers;
  for (int i = 0; i < 3; ++i) workers.start(redis.url(), dir / fmt::format("worker{}.log", i), {"--batch", "2"});
  wait_for_workers(redis, 3);

  BcdRun remote = run_bcd(plus(tune_op(dir / "remote", 16, 8), {"--broker", redis.url()}));
  ASSERT_EQ(remote.status, 0) << remote.output;
  EXPECT_THAT(remote.output, HasSubstr("3 workers of this machine's hardware"));
  EXPECT_THAT(remote.output, HasSubstr("in use"));
  BcdRun local = run_bcd(tune_op(dir / "local", 16, 8));
  ASSERT_EQ(local.status, 0) << local.output;

  auto remote_records = tuning::load_records((dir / "remote/records.json").string());
  auto local_records = tuning::load_records((dir / "local/records.json").string());
  EXPECT_EQ(remote_records.size(), local_records.size());
  EXPECT_EQ(remote_records.size(), 16u);
  expect_no_duplicates(remote_records);
  int ok = 0;
  for (const auto& r : remote_records) ok += r.ok();
  EXPECT_GE(ok, 4);  // most: concurrent workers on 2 cores can push a few past the slowdown cutoff
  // The run's keys are gone once the tuner ends.
  broker::RedisClient client(broker::parse_broker_url(redis.url()));
  EXPECT_EQ(client.command({"ZCARD", broker::keys::kRuns}).integer, 0);
  EXPECT_EQ(client.command({"KEYS", "bcd:run:*"}).elements.size(), 0u);
}

TEST(BrokerTuning, AJobOfAWorkerKilledMidJobIsMeasuredByAnother) {
  REQUIRE_REDIS();
  fs::path dir = temp_dir("broker-kill");
  RedisServer redis;
  Workers workers;
  // The first worker's compiler takes 5 s, so that it is surely holding its jobs
  // when it is killed.
  fs::path slow = dir / "slow-cc";
  write_script(slow, "sleep 5\nexec " + real_compiler() + " \"$@\"\n");
  pid_t doomed;
  {
    ScopedEnv cc("BCD_CC", slow.string());
    doomed = workers.start(redis.url(), dir / "doomed.log", {"--batch", "4"});
  }
  wait_for_workers(redis, 1);
  pid_t tuner = spawn_bcd(plus(tune_op(dir / "run", 4, 4), {"--broker", redis.url()}), (dir / "tuner.log").string());
  broker::RedisClient client(broker::parse_broker_url(redis.url()));
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (held_jobs(client) < 4) {
    ASSERT_LT(Clock::now(), deadline) << read_file(dir / "tuner.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(doomed, SIGKILL);
  workers.start(redis.url(), dir / "rescuer.log");
  ASSERT_EQ(wait_status(tuner), 0) << read_file(dir / "tuner.log");

  auto records = tuning::load_records((dir / "run/records.json").string());
  EXPECT_EQ(records.size(), 4u);
  expect_no_duplicates(records);
  for (const auto& r : records) EXPECT_NE(r.result.error, runtime::MeasureError::Runtime) << r.result.error_message;
  EXPECT_THAT(read_file(dir / "rescuer.log"), HasSubstr("took over a job of a stopped worker"));
}

TEST(BrokerTuning, ABrokerRestartedDuringARunIsWaitedForAndTheRunCompletes) {
  REQUIRE_REDIS();
  fs::path dir = temp_dir("broker-restart");
  RedisServer redis;
  Workers workers;
  workers.start(redis.url(), dir / "worker.log");
  wait_for_workers(redis, 1);
  pid_t tuner = spawn_bcd(plus(tune_op(dir / "run", 8, 4), {"--broker", redis.url(), "--broker-timeout", "60"}),
                          (dir / "tuner.log").string());
  // Restart it (losing everything it held) once the run is out.
  ASSERT_NO_FATAL_FAILURE(restart_once_a_run_is_registered(redis, dir / "tuner.log"));
  ASSERT_EQ(wait_status(tuner), 0) << read_file(dir / "tuner.log");
  std::string log = read_file(dir / "tuner.log");
  EXPECT_THAT(log, HasSubstr("waiting up to 60 s for it"));
  EXPECT_THAT(log, HasSubstr("is back"));
  auto records = tuning::load_records((dir / "run/records.json").string());
  EXPECT_EQ(records.size(), 8u);
  expect_no_duplicates(records);
}

TEST(BrokerTuning, ABrokerRestartedWhileTheTunerWaitsForItsFirstWorkerIsWaitedFor) {
  REQUIRE_REDIS();
  fs::path dir = temp_dir("broker-restart-early");
  RedisServer redis;
  pid_t tuner = spawn_bcd(plus(tune_op(dir / "run", 4, 4), {"--broker", redis.url(), "--broker-timeout", "60"}),
                          (dir / "tuner.log").string());
  // Registered, with no worker yet: the tuner is waiting for one.
  ASSERT_NO_FATAL_FAILURE(restart_once_a_run_is_registered(redis, dir / "tuner.log"));
  Workers workers;
  workers.start(redis.url(), dir / "worker.log");
  ASSERT_EQ(wait_status(tuner), 0) << read_file(dir / "tuner.log");
  std::string log = read_file(dir / "tuner.log");
  EXPECT_THAT(log, HasSubstr("is back"));
  EXPECT_EQ(tuning::load_records((dir / "run/records.json").string()).size(), 4u);
}

TEST(BrokerTuning, ABrokerThatStaysAwayEndsTheRunInOneLineAndTheRunResumesLocally) {
  REQUIRE_REDIS();
  fs::path dir = temp_dir("broker-lost");
  auto redis = std::make_unique<RedisServer>();
  Workers workers;
  workers.start(redis->url(), dir / "worker.log");
  wait_for_workers(*redis, 1);
  pid_t tuner = spawn_bcd(plus(tune_op(dir / "run", 12, 4), {"--broker", redis->url(), "--broker-timeout", "3"}),
                          (dir / "tuner.log").string());
  // Gone for good once the first round is recorded.
  auto deadline = Clock::now() + std::chrono::seconds(90);
  while (count_lines((dir / "run/records.json").string()) < 4) {
    ASSERT_LT(Clock::now(), deadline) << read_file(dir / "tuner.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  redis.reset();
  EXPECT_EQ(wait_status(tuner), 1);
  std::string log = read_file(dir / "tuner.log");
  size_t error = log.find("bcd: error: ");
  ASSERT_NE(error, std::string::npos) << log;
  std::string line = log.substr(error);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << log;
  EXPECT_THAT(line, HasSubstr("gave up after 3 s"));
  EXPECT_THAT(line, HasSubstr("--resume"));

  int recorded = count_lines((dir / "run/records.json").string());
  EXPECT_GE(recorded, 4);
  BcdRun resumed = run_bcd(plus(tune_op(dir / "run", 12, 4), {"--resume"}));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr(fmt::format("resumed   {} measured candidates", recorded)));
  EXPECT_EQ(count_lines((dir / "run/records.json").string()), 12);
}

TEST(BrokerTuning, TamperedJobsAreAnsweredWithErrorsAndTheWorkerKeepsServing) {
  REQUIRE_REDIS();
  fs::path dir = temp_dir("broker-tamper");
  RedisServer redis;
  Workers workers;
  pid_t worker = workers.start(redis.url(), dir / "worker.log");
  wait_for_workers(redis, 1);

  Target target = search::resolve_target("llvm");
  broker::SessionOptions options;
  options.url = redis.url();
  broker::BrokerSession session(options, target);
  const std::string run = session.run_id();
  ops::OpInstance dense = ops::build_op("dense", ops::OpParams::parse("m=8,n=8,k=8"));
  ops::OpInstance other = ops::build_op("dense", ops::OpParams::parse("m=8,n=8,k=16"));
  search::SearchTask task(dense.dag, target);
  tuning::MeasureOptions measure = tuning::tuning_measure_options(10);

  // Posted straight into the run's stream: a step of no known kind, a workload
  // whose DAG is not the one its key names, and bytes that are not a job at all.
  broker::RedisClient client(broker::parse_broker_url(redis.url()));
  broker::Job job;
  job.bcd_version = kVersion;
  job.target = target.str();
  job.workload_key = task.workload_key();
  job.measure = measure;
  job.id = run + ":unknown-step";
  std::string unknown_step = broker::job_to_json(job);
  unknown_step.replace(unknown_step.find("\"steps\":[]"), 10, "\"steps\":[[\"XX\",0]]");
  job.id = run + ":wrong-workload";
  job.workload_key = "0123456789abcdef";
  client.command({"HSET", broker::keys::dags(run), job.workload_key, ir::dag_to_json(other.dag).dump()});
  for (const std::string& payload : {unknown_step, broker::job_to_json(job), std::string("{not json")})
    client.command({"XADD", broker::keys::jobs(run), "*", "job", payload});

  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (client.command({"XLEN", broker::keys::results(run)}).integer < 2) {
    ASSERT_LT(Clock::now(), deadline) << read_file(dir / "worker.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::map<std::string, broker::JobResult> answers;
  for (auto& e : broker::stream_entries(client.command({"XRANGE", broker::keys::results(run), "-", "+"}))) {
    broker::JobResult r = broker::result_from_json(e.fields["result"]);
    answers[r.id] = r;
  }
  ASSERT_EQ(answers.size(), 2u);
  const runtime::MeasureResult& step = answers.at(run + ":unknown-step").result;
  EXPECT_NE(step.error, runtime::MeasureError::None);
  EXPECT_THAT(step.error_message, HasSubstr("XX"));
  const runtime::MeasureResult& workload = answers.at(run + ":wrong-workload").result;
  EXPECT_NE(workload.error, runtime::MeasureError::None);
  EXPECT_THAT(workload.error_message, HasSubstr("does not match its key 0123456789abcdef"));
  EXPECT_THAT(read_file(dir / "worker.log"), HasSubstr("invalid JSON"));

  // The worker is still serving: a good job is measured.
  auto good = session.measure(task, {schedule::State(dense.dag)}, measure);
  ASSERT_EQ(good.size(), 1u);
  EXPECT_EQ(good[0].error, runtime::MeasureError::None) << good[0].error_message;
  EXPECT_EQ(kill(worker, 0), 0) << "the worker stopped";
}

TEST(BrokerTuning, WrongCredentialsAreOneLineAndAnAclUserLimitedToBcdKeysWorks) {
  REQUIRE_REDIS();
  fs::path dir = temp_dir("broker-acl");
  // The locked-down broker of the README: the default user off, one user limited
  // to bcd's keys and the commands it needs.
  RedisServer redis({"--user", "default", "off", "--user", "bcd", "on", ">s3cret", "~bcd:*", "resetchannels", "-@all",
                     "+@read", "+@write", "+@stream", "+@hash", "+@sortedset", "+@keyspace", "+@connection",
                     "-@dangerous"});
  expect_one_line_error(run_bcd({"workers", "--broker", redis.url("bcd:wrong")}), "refused the credentials");
  expect_one_line_error(run_bcd(plus(tune_op(dir / "bad", 4, 4), {"--broker", redis.url("bcd:wrong")})),
                        "refused the credentials");

  Workers workers;
  workers.start(redis.url("bcd:s3cret"), dir / "worker.log");
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (run_bcd({"workers", "--broker", redis.url("bcd:s3cret")}).output.find("1 workers") == std::string::npos) {
    ASSERT_LT(Clock::now(), deadline) << read_file(dir / "worker.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  BcdRun run = run_bcd(plus(tune_op(dir / "run", 4, 4), {"--broker", redis.url("bcd:s3cret")}));
  ASSERT_EQ(run.status, 0) << run.output << read_file(dir / "worker.log");
  EXPECT_EQ(count_lines((dir / "run/records.json").string()), 4);
}

TEST(BrokerTuning, OnlyWorkersOfOtherHardwareAreRefusedInOneLine) {
  REQUIRE_REDIS();
  fs::path dir = temp_dir("broker-mismatch");
  RedisServer redis;
  broker::RedisClient client(broker::parse_broker_url(redis.url()));
  // A worker of another machine, as its heartbeat says.
  broker::WorkerInfo other;
  other.id = "elsewhere-1-abcd";
  other.fingerprint = "00000000deadbeef";
  other.hardware = "Some Other CPU; llvm znver5 cores=64 lanes=16 cache-line=64";
  other.version = kVersion;
  broker::publish_heartbeat(client, other);
  expect_one_line_error(run_bcd(plus(tune_op(dir / "run", 4, 4), {"--broker", redis.url()})),
                        "measure other hardware (worker elsewhere-1-abcd: Some Other CPU");
}

TEST(BrokerTuning, AWorkerStoppedWithSigtermLeavesAndTakesItsHeartbeatAlong) {
  REQUIRE_REDIS();
  fs::path dir = temp_dir("broker-sigterm");
  RedisServer redis;
  pid_t worker = spawn_bcd({"worker", "--broker", redis.url()}, (dir / "worker.log").string());
  wait_for_workers(redis, 1);
  kill(worker, SIGTERM);
  EXPECT_EQ(wait_status(worker), 0) << read_file(dir / "worker.log");
  EXPECT_THAT(read_file(dir / "worker.log"), HasSubstr("stopped after 0 jobs"));
  broker::RedisClient client(broker::parse_broker_url(redis.url()));
  EXPECT_TRUE(broker::live_workers(client).empty());
}
