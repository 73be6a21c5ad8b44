// A real redis-server for the broker tests: started on a free loopback port by the
// test, stopped (or killed and started again) by it. Tests skip when redis-server
// is not installed (tools/install-deps.sh installs it).
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace bcd::testutil {

class RedisServer {
 public:
  // `extra` are redis-server options, e.g. {"--user", "bcd on >secret ~bcd:* +@all"}.
  explicit RedisServer(std::vector<std::string> extra = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  static bool available();
  // Starts it (again) on the same port, waiting until it answers.
  void start();
  // Stops it with SIGKILL: everything it held is lost (no persistence).
  void kill();
  int port() const { return port_; }
  std::string url(const std::string& credentials = "") const;

 private:
  std::vector<std::string> extra_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace bcd::testutil
