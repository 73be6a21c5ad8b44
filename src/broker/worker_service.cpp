#include "broker/worker_service.h"

#include <fmt/format.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "broker/job.h"
#include "broker/keys.h"
#include "broker/redis_client.h"
#include "broker/simulated_measurer.h"
#include "broker/worker_registry.h"
#include "ir/dag_json.h"
#include "schedule/transform_step.h"
#include "search/target.h"
#include "support/json_fields.h"
#include "support/version.h"
#include "tuning/records.h"
#include "tuning/task_measurer.h"

namespace bcd::broker {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A job taken from a run's stream.
struct Taken {
  std::string run;
  std::string entry;
  std::string payload;
  long long deliveries = 1;
};

// A result waiting to be posted (kept across a lost broker).
struct Answer {
  std::string run;
  std::string entry;
  JobResult result;
};

// A worker sees a share of each round, so "verify the round's fastest" becomes
// "verify every candidate": the check is one more run inside the same request to
// the measurement worker, cheaper than a second measurement worker per batch.
tuning::MeasureOptions checked_everywhere(tuning::MeasureOptions options) {
  options.verify_all = options.verify_all || options.verify_best;
  return options;
}

// A task this worker has measured before: its DAG rebuilt once, and its measurer
// (which computes the task's expected output once).
struct CachedTask {
  search::SearchTask task;
  std::unique_ptr<tuning::Measurer> measurer;
};

class Service {
 public:
  Service(const WorkerOptions& options, const std::atomic<bool>& stop)
      : options_(options), stop_(stop), address_(parse_broker_url(options.url)) {
    target_ = search::resolve_target(options.target);
    search::require_device(target_);
    int cores = std::max(1u, std::thread::hardware_concurrency());
    info_.id = new_worker_id();
    info_.host = info_.id.substr(0, info_.id.find('-'));
    info_.target = target_.str();
    info_.fingerprint = hardware_fingerprint(target_);
    info_.hardware = hardware_description(target_);
    info_.version = kVersion;
    info_.cores = cores;
    info_.batch = options.batch > 0 ? std::min(options.batch, keys::kMaxBatch) : keys::kDefaultBatch;
    info_.state = "idle";
    info_.started = tuning::now_seconds();
    if (!options.simulate_records.empty())
      simulated_ = std::make_shared<const std::vector<tuning::Record>>(tuning::load_records(options.simulate_records));
    redis_ = std::make_unique<RedisClient>(address_);  // fails at once on a wrong URL or credentials
    log(fmt::format("worker {} serving {} for {} (fingerprint {}), {} jobs at a time", info_.id, address_.display(),
                    info_.hardware, info_.fingerprint, info_.batch));
  }

  long long run() {
    std::thread heartbeat([this] { beat(); });
    while (!stop_) {
      try {
        if (!redis_) reconnect();
        serve_once();
      } catch (const BrokerUnavailable& e) {
        lost(e);
      }
    }
    set_state("draining");
    // Results of the jobs already measured are posted before leaving.
    for (int tries = 0; !answers_.empty() && tries < 20; ++tries) {
      try {
        if (!redis_) reconnect();
        post_answers();
      } catch (const BrokerUnavailable& e) {
        lost(e);
      }
    }
    finished_ = true;
    heartbeat.join();
    log(fmt::format("worker {} stopped after {} jobs", info_.id, done_));
    return done_;
  }

 private:
  void log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  void set_state(const std::string& state) {
    std::lock_guard lock(info_mutex_);
    info_.state = state;
  }

  // The heartbeat runs on its own connection, so that it goes on during a long
  // build: a worker busy measuring is alive.
  void beat() {
    std::unique_ptr<RedisClient> redis;
    while (!finished_) {
      try {
        if (!redis) redis = std::make_unique<RedisClient>(address_);
        WorkerInfo copy;
        {
          std::lock_guard lock(info_mutex_);
          copy = info_;
        }
        publish_heartbeat(*redis, copy);
      } catch (const Error&) {
        redis.reset();  // the main loop reports the lost broker
      }
      for (int i = 0; i < 10 && !finished_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    try {
      if (!redis) redis = std::make_unique<RedisClient>(address_);
      remove_heartbeat(*redis, info_.id);
    } catch (const Error&) {
    }
  }

  void lost(const BrokerUnavailable& e) {
    redis_.reset();
    if (!lost_since_) {
      lost_since_ = Clock::now();
      log(fmt::format("worker {}: {}; reconnecting", info_.id, e.what()));
    }
    for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  void reconnect() {
    redis_ = std::make_unique<RedisClient>(address_);
    if (lost_since_) log(fmt::format("worker {}: the broker is back after {:.0f} s", info_.id, seconds_since(*lost_since_)));
    lost_since_.reset();
    runs_.clear();  // a restarted broker may have lost them: look again
    active_.clear();
    last_discovery_ = {};
  }

  void serve_once() {
    post_answers();
    // A new run is found within half a second: workers blocked on other runs'
    // streams would not see its jobs otherwise.
    if (seconds_since(last_discovery_) > 0.5) {
      discover_runs();
      last_discovery_ = Clock::now();
    }
    if (active_.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      return;
    }
    std::vector<Taken> taken = claim_orphans();
    if (taken.empty()) taken = read_jobs();
    if (taken.empty()) return;
    set_state("busy");
    answer(taken);
    post_answers();
    set_state("idle");
  }

  // The runs this worker serves: registered, not expired, of its fingerprint and
  // version, with a job stream.
  void discover_runs() {
    RedisValue ids = redis_->command({"ZRANGEBYSCORE", keys::kRuns, fmt::format("{:.0f}", tuning::now_seconds()), "+inf"});
    std::vector<std::string> active;
    std::map<std::string, bool> seen;
    for (const RedisValue& v : ids.elements) {
      const std::string& run = v.str;
      auto known = runs_.find(run);
      bool serve = known != runs_.end() ? known->second : decide(run);
      seen[run] = serve;
      if (!serve) continue;
      try {
        redis_->create_group(keys::jobs(run), keys::kGroup, false);
      } catch (const BrokerUnavailable&) {
        throw;
      } catch (const Error&) {
        continue;  // the stream is gone: the run ended
      }
      active.push_back(run);
    }
    runs_ = std::move(seen);
    for (auto it = tasks_.begin(); it != tasks_.end();)
      it = runs_.count(it->first.substr(0, it->first.find('/'))) ? std::next(it) : tasks_.erase(it);
    active_ = std::move(active);
  }

  bool decide(const std::string& run) {
    RedisValue fields = redis_->command({"HMGET", keys::run(run), "fingerprint", "version", "target"});
    const std::string& fingerprint = fields.at(0).str;
    const std::string& version = fields.at(1).str;
    if (fields.at(0).is_nil()) return false;
    if (fingerprint != info_.fingerprint) {
      log(fmt::format("worker {}: not serving run {}: its hardware (fingerprint {}) is not this machine's", info_.id,
                      run, fingerprint));
      return false;
    }
    if (version != kVersion) {
      log(fmt::format("worker {}: not serving run {}: it runs bcd {}, this worker bcd {}", info_.id, run, version,
                      kVersion));
      return false;
    }
    log(fmt::format("worker {}: serving run {} ({})", info_.id, run, fields.at(2).str));
    return true;
  }

  // Jobs held by workers whose heartbeat expired, taken over by this one.
  std::vector<Taken> claim_orphans() {
    std::vector<Taken> taken;
    if (seconds_since(last_claim_) < 2) return taken;
    last_claim_ = Clock::now();
    std::map<std::string, bool> alive;
    for (const std::string& run : active_) {
      RedisValue held = redis_->command({"XPENDING", keys::jobs(run), keys::kGroup, "IDLE", "1000", "-", "+", "100"});
      std::vector<std::string> orphans;
      std::map<std::string, long long> deliveries;
      for (const RedisValue& h : held.elements) {
        // No more than this batch takes: a claimed job is this worker's to answer.
        if (static_cast<int>(taken.size() + orphans.size()) >= info_.batch) break;
        const std::string& consumer = h.at(1).str;
        if (consumer == info_.id) continue;
        auto [it, fresh] = alive.try_emplace(consumer, false);
        if (fresh) it->second = worker_alive(*redis_, consumer);
        if (it->second) continue;
        orphans.push_back(h.at(0).str);
        deliveries[h.at(0).str] = h.at(3).integer;
      }
      if (orphans.empty()) continue;
      std::vector<std::string> claim = {"XCLAIM", keys::jobs(run), keys::kGroup, info_.id, "1000"};
      claim.insert(claim.end(), orphans.begin(), orphans.end());
      for (StreamEntry& e : stream_entries(redis_->command(claim))) {
        log(fmt::format("worker {}: took over a job of a stopped worker (run {})", info_.id, run));
        taken.push_back({run, e.id, e.fields["job"], deliveries[e.id] + 1});
      }
      if (static_cast<int>(taken.size()) >= info_.batch) break;
    }
    return taken;
  }

  std::vector<Taken> read_jobs() {
    std::vector<std::string> args = {"XREADGROUP", "GROUP", keys::kGroup, info_.id, "COUNT",
                                     std::to_string(info_.batch), "BLOCK", "1000", "STREAMS"};
    for (const std::string& run : active_) args.push_back(keys::jobs(run));
    for (size_t i = 0; i < active_.size(); ++i) args.push_back(">");
    RedisValue reply;
    try {
      reply = redis_->command(args);
    } catch (const BrokerUnavailable&) {
      throw;
    } catch (const Error&) {
      last_discovery_ = {};  // a run ended between discovery and this read (NOGROUP)
      return {};
    }
    std::vector<Taken> taken;
    for (const RedisValue& stream : reply.elements) {
      std::string run = stream.at(0).str.substr(std::string("bcd:run:").size());
      run = run.substr(0, run.find(':'));
      for (StreamEntry& e : stream_entries(stream.at(1))) taken.push_back({run, e.id, e.fields["job"], 1});
    }
    return taken;
  }

  CachedTask& task_for(const std::string& run, const Job& job) {
    std::string cache_key =
        run + "/" + job.workload_key + "/" + job.target + "/" + measure_settings_text(job.measure);
    auto it = tasks_.find(cache_key);
    if (it != tasks_.end()) return *it->second;
    RedisValue dag_text = redis_->command({"HGET", keys::dags(run), job.workload_key});
    if (dag_text.is_nil()) fail("the run has no workload {}", job.workload_key);
    ir::ComputeDAG dag = ir::dag_from_json(parse_json_text(dag_text.str));
    if (dag.workload_key() != job.workload_key)
      fail("the workload does not match its key {} (it hashes to {})", job.workload_key, dag.workload_key());
    auto cached = std::make_unique<CachedTask>(CachedTask{search::SearchTask(std::move(dag), Target::parse(job.target)), nullptr});
    if (simulated_)
      cached->measurer = std::make_unique<SimulatedMeasurer>(simulated_, job.workload_key);
    else
      cached->measurer = std::make_unique<tuning::TaskMeasurer>(cached->task, checked_everywhere(job.measure));
    return *tasks_.emplace(cache_key, std::move(cached)).first->second;
  }

  void answer(const std::vector<Taken>& taken) {
    // Jobs of one task and settings are measured together: they share the build phase.
    struct Group {
      std::vector<size_t> members;
      std::vector<schedule::State> states;
    };
    std::map<CachedTask*, Group> groups;
    if (tasks_.size() > 64) tasks_.clear();  // each holds a task's inputs and expected outputs
    std::vector<JobResult> results(taken.size());
    for (size_t i = 0; i < taken.size(); ++i) {
      const Taken& t = taken[i];
      JobResult& r = results[i];
      r.worker = info_.id;
      auto reject = [&](runtime::MeasureError kind, const std::string& why) {
        r.result.error = kind;
        r.result.error_message = why;
        log(fmt::format("worker {}: rejected job '{}' of run {}: {}", info_.id, r.id, t.run, why));
      };
      Job job;
      CachedTask* task = nullptr;
      try {
        job = job_from_json(t.payload);
        r.id = job.id;
        if (t.deliveries > 3)
          fail("{} workers stopped while holding this job", t.deliveries - 1);
        if (job.bcd_version != kVersion)
          fail("the job is of bcd {}, this worker runs bcd {}", job.bcd_version, kVersion);
        if (!same_measurements(job.target, target_))
          fail("the job's target '{}' is not what this worker measures ('{}')", job.target, target_.str());
        task = &task_for(t.run, job);
      } catch (const BrokerUnavailable&) {
        throw;
      } catch (const Error& e) {
        if (r.id.empty()) r.id = job_id_of(t.payload);  // what can still be answered
        bool abandoned = t.deliveries > 3;
        reject(abandoned ? runtime::MeasureError::Runtime : runtime::MeasureError::Unknown,
               abandoned ? std::string(e.what()) : fmt::format("rejected job: {}", e.what()));
        continue;
      }
      try {
        schedule::State state = schedule::replay(task->task.dag, job.steps);
        Group& g = groups[task];
        g.members.push_back(i);
        g.states.push_back(std::move(state));
      } catch (const Error& e) {
        reject(runtime::MeasureError::Instantiation, fmt::format("rejected job: its steps do not apply: {}", e.what()));
      }
    }
    for (auto& [task, g] : groups) {
      std::vector<runtime::MeasureResult> measured = task->measurer->measure(g.states);
      for (size_t k = 0; k < g.members.size(); ++k) results[g.members[k]].result = std::move(measured[k]);
    }
    for (size_t i = 0; i < taken.size(); ++i) answers_.push_back({taken[i].run, taken[i].entry, std::move(results[i])});
  }

  void post_answers() {
    if (answers_.empty()) return;
    std::vector<std::vector<std::string>> commands;
    for (const Answer& a : answers_) {
      // An unreadable job has no id to answer to; it is only acknowledged.
      if (!a.result.id.empty())
        // NOMKSTREAM: the results of a run that ended go nowhere.
        commands.push_back({"XADD", keys::results(a.run), "NOMKSTREAM", "*", "result", result_to_json(a.result)});
      commands.push_back({"XACK", keys::jobs(a.run), keys::kGroup, a.entry});
      commands.push_back({"XDEL", keys::jobs(a.run), a.entry});
    }
    try {
      redis_->pipeline(commands);
    } catch (const BrokerUnavailable&) {
      throw;
    } catch (const Error& e) {
      log(fmt::format("worker {}: the broker refused a result: {}", info_.id, e.what()));
    }
    std::lock_guard lock(info_mutex_);
    auto now = Clock::now();
    for (size_t i = 0; i < answers_.size(); ++i) finished_at_.push_back(now);
    done_ += static_cast<long long>(answers_.size());
    while (!finished_at_.empty() && now - finished_at_.front() > std::chrono::minutes(1)) finished_at_.pop_front();
    info_.jobs_done = done_;
    info_.per_minute = static_cast<double>(finished_at_.size());
    answers_.clear();
  }

  const WorkerOptions& options_;
  const std::atomic<bool>& stop_;
  BrokerAddress address_;
  Target target_;
  std::mutex info_mutex_;
  WorkerInfo info_;
  std::atomic<bool> finished_{false};
  std::unique_ptr<RedisClient> redis_;
  std::optional<Clock::time_point> lost_since_;
  std::map<std::string, bool> runs_;  // run id -> served
  std::vector<std::string> active_;
  Clock::time_point last_discovery_{}, last_claim_{};
  std::map<std::string, std::unique_ptr<CachedTask>> tasks_;
  std::shared_ptr<const std::vector<tuning::Record>> simulated_;
  std::vector<Answer> answers_;
  std::deque<Clock::time_point> finished_at_;
  long long done_ = 0;
};

}  // namespace

long long serve(const WorkerOptions& options, const std::atomic<bool>& stop) { return Service(options, stop).run(); }

}  // namespace bcd::broker
