// `bcd worker --broker URL`: one machine's measuring service. It serves every run
// on the broker whose hardware fingerprint and bcd version are its own: takes up
// to `batch` jobs at once from the run's stream (consumer group "workers"),
// regenerates each candidate's program from its workload and steps, builds and
// measures them with the isolated local runner (tuning::TaskMeasurer), posts the
// results and acknowledges the jobs. Jobs held by a worker whose heartbeat has
// expired are claimed and measured again. A job it cannot read (an unknown step, a
// workload that does not match its key, another version or target) is answered
// with an error result; the worker goes on serving.
#pragma once
#include <atomic>
#include <functional>
#include <string>

namespace bcd::broker {

struct WorkerOptions {
  std::string url;               // redis://[user:password@]host[:port]
  std::string target = "llvm";   // resolved for this machine (search::resolve_target)
  int batch = 0;                 // jobs taken at once; 0: keys::kDefaultBatch (at most keys::kMaxBatch)
  // Benchmarks of the broker itself: answer each job with a measurement of this
  // records file, sleeping for its recorded build and run times instead of
  // compiling (many simulated workers then fit on a few cores).
  std::string simulate_records;
  std::function<void(const std::string&)> log;  // one line per event (serving a run, a lost broker)
};

// Serves until `stop` becomes true (SIGTERM), then finishes the jobs it holds,
// posts their results and removes its heartbeat. Returns the number of jobs it
// answered. Fails with one line on a malformed URL, refused credentials, an
// unreachable broker at the start or an unknown target; a broker lost later is
// waited for.
long long serve(const WorkerOptions& options, const std::atomic<bool>& stop);

}  // namespace bcd::broker
