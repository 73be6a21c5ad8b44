// Live workers as the broker knows them: each worker keeps a heartbeat hash
// (keys::worker) that expires unless refreshed, so the hashes present are the
// workers alive. Tuners read them to choose workers of their hardware, and
// `bcd workers` lists them.
#pragma once
#include <string>
#include <vector>

#include "broker/redis_client.h"
#include "target/target.h"

namespace bcd::broker {

// What identifies the hardware a measurement was taken on: measurements from two
// machines are comparable only when their fingerprints are equal. The CPU's model
// name (llvm) and every hardware setting of the target.
std::string hardware_description(const Target& target);
// 16 hex digits of a stable hash of hardware_description.
std::string hardware_fingerprint(const Target& target);

struct WorkerInfo {
  std::string id;           // "<host>-<pid>-<random>"
  std::string host;
  std::string target;       // Target::str() of the worker's resolved target
  std::string fingerprint;  // hardware_fingerprint
  std::string hardware;     // hardware_description
  std::string version;      // bcd version
  int cores = 0;
  int batch = 0;            // jobs taken at once
  long long jobs_done = 0;
  double per_minute = 0;    // jobs finished over the last minute
  std::string state;        // "idle", "busy", "draining"
  double started = 0;       // unix seconds
};

// This process's worker id on this host.
std::string new_worker_id();

// Writes the heartbeat; it lives keys::kHeartbeatTtlSeconds.
void publish_heartbeat(RedisClient& redis, const WorkerInfo& info);
void remove_heartbeat(RedisClient& redis, const std::string& id);
bool worker_alive(RedisClient& redis, const std::string& id);
// Every worker with a live heartbeat, by id.
std::vector<WorkerInfo> live_workers(RedisClient& redis);

}  // namespace bcd::broker
