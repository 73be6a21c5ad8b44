#include "broker/worker_registry.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "broker/keys.h"
#include "support/hash.h"

namespace bcd::broker {

namespace {

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) break;
    std::string name = line.substr(colon + 1);
    name.erase(0, name.find_first_not_of(" \t"));
    return name;
  }
  return "unknown CPU";
}

std::string host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "host";
  return buffer;
}

double number_or(const std::string& text, double fallback) {
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    return fallback;
  }
}

}  // namespace

std::string hardware_description(const Target& target) {
  const HardwareParams& h = target.hardware;
  if (target.is_gpu())
    return fmt::format("cuda {} sms={} threads={} shared={} warp={}", target.mcpu, h.num_sms,
                       h.max_threads_per_block, h.max_shared_memory_per_block, h.warp_size);
  return fmt::format("{}; llvm {} cores={} lanes={} cache-line={}", cpu_model_name(),
                     target.mcpu.empty() ? "generic" : target.mcpu, h.num_cores, h.vector_lanes,
                     h.cache_line_bytes);
}

std::string hardware_fingerprint(const Target& target) { return stable_hash_hex(hardware_description(target)); }

std::string new_worker_id() {
  std::random_device device;
  return fmt::format("{}-{}-{:04x}", host_name(), getpid(), device() & 0xffff);
}

void publish_heartbeat(RedisClient& redis, const WorkerInfo& w) {
  const std::string key = keys::worker(w.id);
  redis.command({"HSET", key, "id", w.id, "host", w.host, "target", w.target, "fingerprint", w.fingerprint,
                 "hardware", w.hardware, "version", w.version, "cores", std::to_string(w.cores), "batch",
                 std::to_string(w.batch), "jobs_done", std::to_string(w.jobs_done), "per_minute",
                 fmt::format("{:.1f}", w.per_minute), "state", w.state, "started", fmt::format("{:.3f}", w.started)});
  redis.command({"EXPIRE", key, std::to_string(keys::kHeartbeatTtlSeconds)});
}

void remove_heartbeat(RedisClient& redis, const std::string& id) { redis.command({"DEL", keys::worker(id)}); }

bool worker_alive(RedisClient& redis, const std::string& id) {
  return redis.command({"EXISTS", keys::worker(id)}).integer > 0;
}

std::vector<WorkerInfo> live_workers(RedisClient& redis) {
  std::vector<std::string> names;
  std::string cursor = "0";
  do {
    RedisValue page = redis.command({"SCAN", cursor, "MATCH", keys::kWorkerPrefix + "*", "COUNT", "1000"});
    cursor = page.at(0).str;
    for (const RedisValue& k : page.at(1).elements) names.push_back(k.str);
  } while (cursor != "0");
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<WorkerInfo> workers;
  for (const std::string& name : names) {
    RedisValue fields = redis.command({"HGETALL", name});
    if (fields.elements.empty()) continue;  // expired between SCAN and HGETALL
    WorkerInfo w;
    for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
      const std::string& k = fields.elements[i].str;
      const std::string& v = fields.elements[i + 1].str;
      if (k == "id") w.id = v;
      else if (k == "host") w.host = v;
      else if (k == "target") w.target = v;
      else if (k == "fingerprint") w.fingerprint = v;
      else if (k == "hardware") w.hardware = v;
      else if (k == "version") w.version = v;
      else if (k == "cores") w.cores = static_cast<int>(number_or(v, 0));
      else if (k == "batch") w.batch = static_cast<int>(number_or(v, 0));
      else if (k == "jobs_done") w.jobs_done = static_cast<long long>(number_or(v, 0));
      else if (k == "per_minute") w.per_minute = number_or(v, 0);
      else if (k == "state") w.state = v;
      else if (k == "started") w.started = number_or(v, 0);
    }
    if (!w.id.empty()) workers.push_back(std::move(w));
  }
  return workers;
}

}  // namespace bcd::broker
