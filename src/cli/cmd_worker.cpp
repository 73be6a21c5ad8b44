// `bcd worker --broker URL`: measure the jobs of tuners on other machines
// (broker::serve), until SIGTERM or Ctrl-C; and `bcd workers --broker URL`: the
// live workers, the runs and their queues.
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>

#include "broker/keys.h"
#include "broker/redis_client.h"
#include "broker/worker_registry.h"
#include "broker/worker_service.h"
#include "cli/commands.h"
#include "tuning/records.h"

namespace bcd::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void request_stop(int) { g_stop = true; }

int run_worker(const broker::WorkerOptions& options) {
  struct sigaction action{};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  broker::WorkerOptions o = options;
  o.log = [](const std::string& line) {
    std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%H:%M:%S", std::localtime(&now));
    fmt::print("{} {}\n", stamp, line);
    std::fflush(stdout);
  };
  broker::serve(o, g_stop);
  return 0;
}

int run_workers(const std::string& url) {
  broker::RedisClient redis(broker::parse_broker_url(url));
  std::vector<broker::WorkerInfo> workers = broker::live_workers(redis);
  double now = tuning::now_seconds();
  fmt::print("{} workers on {}\n", workers.size(), redis.address().display());
  if (!workers.empty())
    fmt::print("{:<28} {:<8} {:>5} {:>5} {:>9} {:>8} {:>8}  {:<16} {}\n", "worker", "state", "cores", "batch", "jobs",
               "jobs/min", "up (s)", "fingerprint", "hardware");
  for (const auto& w : workers)
    fmt::print("{:<28} {:<8} {:>5} {:>5} {:>9} {:>8.1f} {:>8.0f}  {:<16} {}\n", w.id, w.state, w.cores, w.batch,
               w.jobs_done, w.per_minute, now - w.started, w.fingerprint, w.hardware);
  broker::RedisValue runs = redis.command({"ZRANGEBYSCORE", broker::keys::kRuns, fmt::format("{:.0f}", now), "+inf"});
  fmt::print("{} runs\n", runs.elements.size());
  if (!runs.elements.empty())
    fmt::print("{:<18} {:>7} {:>8} {:<16} {}\n", "run", "queued", "measuring", "fingerprint", "target");
  for (const auto& r : runs.elements) {
    broker::RedisValue info = redis.command({"HMGET", broker::keys::run(r.str), "fingerprint", "target"});
    long long queued = 0, held = 0;
    try {
      for (const auto& g : redis.command({"XINFO", "GROUPS", broker::keys::jobs(r.str)}).elements) {
        for (size_t i = 0; i + 1 < g.elements.size(); i += 2) {
          if (g.elements[i].str == "pending") held = g.elements[i + 1].integer;
          if (g.elements[i].str == "lag") queued = g.elements[i + 1].integer;
        }
      }
    } catch (const broker::BrokerUnavailable&) {
      throw;
    } catch (const Error&) {
      // The run ended between the two calls.
    }
    fmt::print("{:<18} {:>7} {:>8} {:<16} {}\n", r.str, queued, held, info.at(0).str, info.at(1).str);
  }
  return 0;
}

}  // namespace

CommandRunner add_worker_command(CLI::App& app) {
  auto o = std::make_shared<broker::WorkerOptions>();
  CLI::App* cmd = app.add_subcommand(
      "worker", "measure candidates for tuners on other machines: serve a Redis broker until SIGTERM or Ctrl-C");
  cmd->add_option("--broker", o->url, "redis://[user:password@]host[:port]")->required();
  cmd->add_option("--target", o->target, "what this machine measures: llvm (this CPU) or cuda")->capture_default_str();
  cmd->add_option("--batch", o->batch, "jobs taken at once (they build in parallel; fewer spread a round over more workers)")
      ->check(CLI::Range(1, broker::keys::kMaxBatch))
      ->default_str(std::to_string(broker::keys::kDefaultBatch));
  cmd->add_option("--simulate", o->simulate_records,
                  "benchmarks: answer jobs from this records file, sleeping for the recorded times")
      ->group("");  // hidden: for bench/broker_scaling.py
  return [o] { return run_worker(*o); };
}

CommandRunner add_workers_command(CLI::App& app) {
  auto url = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("workers", "list the live workers on a broker, the runs and their queues");
  cmd->add_option("--broker", *url, "redis://[user:password@]host[:port]")->required();
  return [url] { return run_workers(*url); };
}

}  // namespace bcd::cli
