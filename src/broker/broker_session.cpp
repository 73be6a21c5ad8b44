#include "broker/broker_session.h"

#include <fmt/format.h>

#include <optional>
#include <random>
#include <thread>

#include "broker/job.h"
#include "broker/keys.h"
#include "ir/dag_json.h"
#include "support/version.h"
#include "tuning/records.h"

namespace bcd::broker {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string new_run_id() {
  std::random_device device;
  uint64_t id = (static_cast<uint64_t>(device()) << 32) ^ device();
  return fmt::format("{:016x}", id);
}

// The longest a worker may hold a job before the tuner gives up on it: a batch of
// jobs shares one build phase, then runs one after another, each with a
// verification run at most.
double job_deadline_seconds(const tuning::MeasureOptions& m) {
  return m.builder.timeout_seconds + keys::kMaxBatch * 2 * m.runner.timeout_seconds + 30;
}

class BrokerMeasurer : public tuning::Measurer {
 public:
  BrokerMeasurer(std::shared_ptr<BrokerSession> session, const search::SearchTask& task, tuning::MeasureOptions options)
      : session_(std::move(session)), task_(task), options_(std::move(options)) {}

  std::vector<runtime::MeasureResult> measure(const std::vector<schedule::State>& states) override {
    auto start = Clock::now();
    std::vector<runtime::MeasureResult> results = session_->measure(task_, states, options_);
    for (const auto& r : results) {
      stats_.build_seconds += r.build_seconds;
      stats_.wrong += r.error == runtime::MeasureError::WrongAnswer;
    }
    stats_.run_seconds += seconds_since(start);
    return results;
  }
  const tuning::MeasureStats& stats() const override { return stats_; }

 private:
  std::shared_ptr<BrokerSession> session_;
  const search::SearchTask& task_;
  tuning::MeasureOptions options_;
  tuning::MeasureStats stats_;
};

}  // namespace

BrokerSession::~BrokerSession() {
  if (!redis_) return;
  try {
    redis_->pipeline({{"DEL", keys::run(run_id_), keys::dags(run_id_), keys::jobs(run_id_), keys::results(run_id_)},
                      {"ZREM", keys::kRuns, run_id_}});
  } catch (const Error&) {
    // The keys expire on their own.
  }
}

void BrokerSession::say(const std::string& line) const {
  if (options_.message) options_.message(line);
}

void BrokerSession::connect() { redis_ = std::make_unique<RedisClient>(address_); }

void BrokerSession::register_run() {
  const std::string ttl = std::to_string(keys::kRunTtlSeconds);
  const double expiry = static_cast<double>(tuning::now_seconds()) + keys::kRunTtlSeconds;
  redis_->pipeline({{"HSET", keys::run(run_id_), "target", target_.str(), "fingerprint", fingerprint_, "hardware",
                     hardware_description(target_), "version", kVersion},
                    {"EXPIRE", keys::run(run_id_), ttl},
                    {"ZADD", keys::kRuns, fmt::format("{:.0f}", expiry), run_id_},
                    // Runs whose tuner died long ago leave the index.
                    {"ZREMRANGEBYSCORE", keys::kRuns, "-inf", fmt::format("{:.0f}", tuning::now_seconds())}});
  // The job stream with the workers' group, and the (empty) result stream that
  // workers post to: they never create it, so that results of a run that ended
  // go nowhere. A group is how Redis makes an empty stream.
  redis_->create_group(keys::jobs(run_id_), keys::kGroup, true);
  redis_->create_group(keys::results(run_id_), "tuner", true);
  redis_->pipeline({{"EXPIRE", keys::jobs(run_id_), ttl}, {"EXPIRE", keys::results(run_id_), ttl}});
  dags_uploaded_.clear();
}

void BrokerSession::upload_dag(const search::SearchTask& task) {
  const std::string& key = task.workload_key();
  if (dags_uploaded_.count(key)) return;
  auto [it, fresh] = dag_json_.try_emplace(key);
  if (fresh) it->second = ir::dag_to_json(task.dag).dump();
  redis_->pipeline({{"HSET", keys::dags(run_id_), key, it->second},
                    {"EXPIRE", keys::dags(run_id_), std::to_string(keys::kRunTtlSeconds)}});
  dags_uploaded_.insert(key);
}

template <typename F>
auto BrokerSession::with_broker(F&& f, const std::function<void()>& on_reconnect) {
  std::optional<Clock::time_point> lost_since;
  while (true) {
    try {
      if (!redis_) {
        connect();
        register_run();
        for (const auto& [key, dag] : dag_json_) {
          redis_->command({"HSET", keys::dags(run_id_), key, dag});
          dags_uploaded_.insert(key);
        }
        if (on_reconnect) on_reconnect();
        say(fmt::format("broker    {} is back after {:.0f} s", address_.display(), seconds_since(*lost_since)));
      }
      return f();
    } catch (const BrokerUnavailable& e) {
      redis_.reset();
      if (!lost_since) {
        lost_since = Clock::now();
        say(fmt::format("broker    {}; waiting up to {:.0f} s for it", e.what(), options_.broker_timeout));
      }
      if (seconds_since(*lost_since) > options_.broker_timeout)
        fail("{}; gave up after {:.0f} s (the run keeps every finished round: continue it with --resume)", e.what(),
             options_.broker_timeout);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

BrokerSession::BrokerSession(SessionOptions options, const Target& target)
    : options_(std::move(options)),
      address_(parse_broker_url(options_.url)),
      target_(target),
      fingerprint_(hardware_fingerprint(target)),
      run_id_(new_run_id()),
      started_(Clock::now()),
      last_report_(Clock::now()) {
  connect();  // an unreachable broker at the start is a mistake to name at once, not to wait for
  // Once it answered, losing it is waited for like anywhere else in the run:
  // a restart between registering and the first worker is no reason to stop.
  with_broker([&] {
    register_run();
    wait_for_workers();
    return 0;
  }, nullptr);
}

std::vector<WorkerInfo> BrokerSession::matching_workers(std::vector<WorkerInfo>* others) {
  std::vector<WorkerInfo> match;
  for (WorkerInfo& w : live_workers(*redis_)) {
    if (w.fingerprint == fingerprint_ && w.version == kVersion)
      match.push_back(std::move(w));
    else if (others)
      others->push_back(std::move(w));
  }
  return match;
}

void BrokerSession::wait_for_workers() {
  auto start = Clock::now();
  bool announced = false;
  while (true) {
    std::vector<WorkerInfo> others;
    std::vector<WorkerInfo> match = matching_workers(&others);
    if (!match.empty()) {
      std::string ignored =
          others.empty() ? "" : fmt::format(" ({} other workers measure other hardware or run another bcd)", others.size());
      say(fmt::format("broker    {}: run {}, {} workers of this machine's hardware (fingerprint {}){}",
                      address_.display(), run_id_, match.size(), fingerprint_, ignored));
      return;
    }
    if (!others.empty()) {
      const WorkerInfo& w = others.front();
      if (w.version != kVersion)
        fail("the broker's {} workers run another bcd (worker {}: bcd {}; this is bcd {}): jobs of one version only "
             "go to workers of the same version",
             others.size(), w.id, w.version, kVersion);
      fail("the broker's {} workers measure other hardware (worker {}: {}, fingerprint {}; this machine: {}, "
           "fingerprint {}): measurements from different machines are not comparable",
           others.size(), w.id, w.hardware, w.fingerprint, hardware_description(target_), fingerprint_);
    }
    if (seconds_since(start) > options_.broker_timeout)
      fail("no worker is serving the broker {} after {:.0f} s (start one: bcd worker --broker URL)",
           address_.display(), options_.broker_timeout);
    if (!announced)
      say(fmt::format("broker    {}: waiting up to {:.0f} s for a worker (bcd worker --broker URL)",
                      address_.display(), options_.broker_timeout));
    announced = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

void BrokerSession::post(std::map<std::string, Pending>& pending) {
  std::vector<std::vector<std::string>> commands;
  std::vector<Pending*> posted;
  for (auto& [id, p] : pending) {
    if (!p.entry.empty()) continue;
    commands.push_back({"XADD", keys::jobs(run_id_), "*", "job", p.payload});
    posted.push_back(&p);
  }
  if (commands.empty()) return;
  std::vector<RedisValue> ids = redis_->pipeline(commands);
  for (size_t i = 0; i < posted.size(); ++i) posted[i]->entry = ids[i].str;
}

void BrokerSession::report_progress(bool force) {
  std::set<std::string> workers;
  for (const auto& [id, n] : by_worker_) workers.insert(id);
  if (!force && workers == reported_workers_ && seconds_since(last_report_) < 60) return;
  if (by_worker_.empty()) return;
  double minutes = std::max(seconds_since(started_) / 60, 1e-9);
  std::string each;
  for (const auto& [id, n] : by_worker_)
    each += fmt::format("{}{} {:.0f}/min", each.empty() ? "" : ", ", id, static_cast<double>(n) / minutes);
  say(fmt::format("workers   {} in use, {:.0f} candidates/min: {}", by_worker_.size(),
                  static_cast<double>(results_total_) / minutes, each));
  reported_workers_ = std::move(workers);
  last_report_ = Clock::now();
}

std::vector<runtime::MeasureResult> BrokerSession::measure(const search::SearchTask& task,
                                                           const std::vector<schedule::State>& states,
                                                           const tuning::MeasureOptions& options) {
  std::vector<runtime::MeasureResult> results(states.size());
  std::map<std::string, Pending> pending;
  for (size_t i = 0; i < states.size(); ++i) {
    Job job;
    job.id = fmt::format("{}:{}", run_id_, next_job_++);
    job.bcd_version = kVersion;
    job.target = task.target.str();
    job.workload_key = task.workload_key();
    job.task = task.description();
    job.steps = states[i].history();
    job.measure = options;
    pending.emplace(job.id, Pending{i, job_to_json(job), ""});
  }
  auto repost = [&] {
    for (auto& [id, p] : pending) p.entry.clear();
    post(pending);
  };
  with_broker([&] {
    upload_dag(task);
    post(pending);
    return 0;
  }, repost);

  const double deadline_ms = job_deadline_seconds(options) * 1e3;
  auto last_check = Clock::now();
  std::optional<Clock::time_point> no_worker_since;
  while (!pending.empty()) {
    RedisValue reply = with_broker([&] {
      return redis_->command({"XREAD", "COUNT", "1024", "BLOCK", "500", "STREAMS", keys::results(run_id_),
                              results_cursor_});
    }, repost);
    for (const RedisValue& stream : reply.elements) {
      for (StreamEntry& entry : stream_entries(stream.at(1))) {
        results_cursor_ = entry.id;
        JobResult r;
        try {
          r = result_from_json(entry.fields["result"]);
        } catch (const Error& e) {
          say(fmt::format("broker    warning: a malformed result was ignored: {}", e.what()));
          continue;
        }
        auto it = pending.find(r.id);
        if (it == pending.end()) continue;  // measured twice (a claimed job), or of an earlier round
        results[it->second.index] = std::move(r.result);
        ++by_worker_[r.worker];
        ++results_total_;
        pending.erase(it);
      }
    }
    if (pending.empty() || seconds_since(last_check) < 2) continue;
    last_check = Clock::now();
    with_broker([&] {
      // Keep the run's keys alive, and watch the workers and the jobs they hold.
      const std::string ttl = std::to_string(keys::kRunTtlSeconds);
      redis_->pipeline({{"EXPIRE", keys::run(run_id_), ttl},
                        {"EXPIRE", keys::jobs(run_id_), ttl},
                        {"EXPIRE", keys::dags(run_id_), ttl},
                        {"EXPIRE", keys::results(run_id_), ttl},
                        {"ZADD", keys::kRuns, fmt::format("{:.0f}", tuning::now_seconds() + keys::kRunTtlSeconds),
                         run_id_}});
      if (matching_workers().empty()) {
        if (!no_worker_since) {
          no_worker_since = Clock::now();
          say(fmt::format("broker    no worker of this machine's hardware is alive; waiting up to {:.0f} s for one",
                          options_.broker_timeout));
        }
        if (seconds_since(*no_worker_since) > options_.broker_timeout)
          fail("no worker of this machine's hardware has served the broker {} for {:.0f} s (the run keeps every "
               "finished round: continue it with --resume)",
               address_.display(), options_.broker_timeout);
      } else {
        no_worker_since.reset();
      }
      std::map<std::string, std::string> job_of_entry;
      for (const auto& [id, p] : pending)
        if (!p.entry.empty()) job_of_entry[p.entry] = id;
      RedisValue held = redis_->command({"XPENDING", keys::jobs(run_id_), keys::kGroup, "IDLE",
                                         fmt::format("{:.0f}", deadline_ms), "-", "+", "1000"});
      for (const RedisValue& h : held.elements) {
        auto j = job_of_entry.find(h.at(0).str);
        if (j == job_of_entry.end()) continue;
        runtime::MeasureResult& r = results[pending.at(j->second).index];
        r.error = runtime::MeasureError::Timeout;
        r.error_message = fmt::format("worker {} sent no result within {:.0f} s", h.at(1).str, deadline_ms / 1e3);
        redis_->pipeline({{"XACK", keys::jobs(run_id_), keys::kGroup, h.at(0).str},
                          {"XDEL", keys::jobs(run_id_), h.at(0).str}});
        pending.erase(j->second);
      }
      return 0;
    }, repost);
    report_progress(false);
  }
  // Results of this round are read; late duplicates need not be kept.
  with_broker([&] { return redis_->command({"XTRIM", keys::results(run_id_), "MAXLEN", "0"}); }, nullptr);
  report_progress(false);
  return results;
}

tuning::MeasurerFactory broker_measurer_factory(std::shared_ptr<BrokerSession> session) {
  return [session](const search::SearchTask& task, const tuning::MeasureOptions& options) {
    return std::make_unique<BrokerMeasurer>(session, task, options);
  };
}

}  // namespace bcd::broker
