// The tuner's side of scale-out: one run on the broker. It registers the run (its
// target and hardware fingerprint) so that workers of the same hardware serve it,
// turns each candidate into a job, and collects the results: counted once per job
// id, with a deadline per job, jobs of a dead worker going to another (the workers
// claim them), and a lost broker waited for (then the unanswered jobs are posted
// again) until `broker_timeout` ends the run with one line. The tuner stays the
// only writer of the records, so resume and kill -9 safety are unchanged.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "broker/redis_client.h"
#include "broker/worker_registry.h"
#include "search/search_task.h"
#include "tuning/measurer.h"

namespace bcd::broker {

struct SessionOptions {
  std::string url;               // redis://[user:password@]host[:port]
  // Seconds to wait for a lost broker to come back, and for a worker of this
  // hardware when none is alive, before the run fails.
  double broker_timeout = 60;
  // Progress lines (workers in use, their throughput) and warnings.
  std::function<void(const std::string&)> message;
};

class BrokerSession {
 public:
  // Connects, registers the run for `target` (this machine's hardware), and waits
  // up to broker_timeout for a live worker of the same fingerprint. Fails with one
  // line on a malformed URL, refused credentials, an unreachable broker, or when
  // only workers of other hardware are there.
  BrokerSession(SessionOptions options, const Target& target);
  // Deletes the run's keys.
  ~BrokerSession();
  BrokerSession(const BrokerSession&) = delete;
  BrokerSession& operator=(const BrokerSession&) = delete;

  // Measures `states` of `task` on the workers: one result per State, in order.
  std::vector<runtime::MeasureResult> measure(const search::SearchTask& task,
                                              const std::vector<schedule::State>& states,
                                              const tuning::MeasureOptions& options);

  const std::string& run_id() const { return run_id_; }
  const std::string& fingerprint() const { return fingerprint_; }
  // Results received per worker id, this session.
  const std::map<std::string, long long>& results_by_worker() const { return by_worker_; }

 private:
  struct Pending {
    size_t index;          // into the caller's states
    std::string payload;   // the job's JSON, to post again after a broker restart
    std::string entry;     // its stream entry id, "" until posted
  };

  void connect();
  void register_run();
  void upload_dag(const search::SearchTask& task);
  void post(std::map<std::string, Pending>& pending);
  std::vector<WorkerInfo> matching_workers(std::vector<WorkerInfo>* others = nullptr);
  void wait_for_workers();
  // Runs `f` on the connection; on a lost broker reconnects (until broker_timeout)
  // and calls `on_reconnect` before trying `f` again.
  template <typename F>
  auto with_broker(F&& f, const std::function<void()>& on_reconnect = nullptr);
  void say(const std::string& line) const;
  void report_progress(bool force);

  SessionOptions options_;
  BrokerAddress address_;
  Target target_;
  std::string fingerprint_;
  std::string run_id_;
  std::unique_ptr<RedisClient> redis_;
  std::set<std::string> dags_uploaded_;
  std::map<std::string, std::string> dag_json_;  // workload key -> DAG, for re-uploading
  long long next_job_ = 0;
  std::string results_cursor_ = "0";
  std::map<std::string, long long> by_worker_;
  std::chrono::steady_clock::time_point started_, last_report_;
  std::set<std::string> reported_workers_;
  long long results_total_ = 0;
};

// A MeasurerFactory whose measurers send every task's candidates through `session`.
tuning::MeasurerFactory broker_measurer_factory(std::shared_ptr<BrokerSession> session);

}  // namespace bcd::broker
