// The broker's key space. Everything bcd writes lives under "bcd:", a run's keys
// under "bcd:run:<id>:", so that a broker shared by several tuners stays clean:
// a tuner deletes its run's keys when it ends, and they expire an hour after its
// last activity if it dies.
//   bcd:runs                 sorted set: run id -> expiry time (unix seconds)
//   bcd:run:<id>             hash: the run's target, fingerprint, bcd version
//   bcd:run:<id>:dags        hash: workload key -> the task's DAG (ir::dag_to_json)
//   bcd:run:<id>:jobs        stream of jobs, read by the consumer group "workers"
//   bcd:run:<id>:results     stream of results, read by the tuner
//   bcd:worker:<id>          hash: a live worker's heartbeat (expires when it stops)
#pragma once
#include <string>

namespace bcd::broker::keys {

inline const std::string kRuns = "bcd:runs";
inline const std::string kWorkerPrefix = "bcd:worker:";
inline const std::string kGroup = "workers";
// Seconds a run's keys live after the tuner last touched them.
inline constexpr int kRunTtlSeconds = 3600;
// Seconds a heartbeat lives: a worker not heard from for this long is dead and
// its jobs go to others.
inline constexpr int kHeartbeatTtlSeconds = 4;
// Jobs a worker takes at once by default, and at most: a batch shares one build
// phase, one run of the measurement worker and one verification, so small
// batches cost more per candidate (bench/broker_bench.py: +35-51% at 2, +8-26% at
// 8 against the local path), while large ones leave workers idle at the end of a
// round when there are many.
inline constexpr int kDefaultBatch = 8;
inline constexpr int kMaxBatch = 16;

inline std::string run(const std::string& id) { return "bcd:run:" + id; }
inline std::string dags(const std::string& id) { return run(id) + ":dags"; }
inline std::string jobs(const std::string& id) { return run(id) + ":jobs"; }
inline std::string results(const std::string& id) { return run(id) + ":results"; }
inline std::string worker(const std::string& id) { return kWorkerPrefix + id; }

}  // namespace bcd::broker::keys
