#include "runtime/worker_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "runtime/worker_protocol.h"
#include "support/error.h"

extern char** environ;

namespace bcd::runtime::worker {

namespace {

using Clock = std::chrono::steady_clock;

// A descriptor numbered >= 10, close-on-exec: the child's dup2 onto 3 and 4 then
// can never overwrite a source descriptor that is still to be duplicated.
int high_cloexec_dup(int fd) {
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (high < 0) fail("cannot duplicate a descriptor for the measurement worker: {}", std::strerror(errno));
  return high;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return fmt::format("killed by signal {} ({})", sig, strsignal(sig));
  }
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return "ended in an unknown way";
}

}  // namespace

WorkerProcess::WorkerProcess(const std::string& executable, int data_fd) {
  int sv[2];
  // Close-on-exec on both ends: other threads of the tuner spawn compilers at the
  // same time, and a copy of our end inside one of them would hide the worker's EOF.
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    fail("cannot create the measurement channel: {}", std::strerror(errno));
  channel_ = sv[0];
  int child_end = -1, child_data = -1;
  try {
    child_end = high_cloexec_dup(sv[1]);
    ::close(sv[1]);
    sv[1] = -1;
    child_data = high_cloexec_dup(data_fd);
  } catch (...) {
    if (sv[1] >= 0) ::close(sv[1]);
    if (child_end >= 0) ::close(child_end);
    ::close(channel_);
    throw;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_end, kChannelFd);
  posix_spawn_file_actions_adddup2(&actions, child_data, kDataFd);

  // The tuner may block or ignore signals in its threads; the worker starts with
  // the defaults so that, e.g., a dead parent's SIGPIPE ends it.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::string parent = std::to_string(getpid());
  std::vector<char*> argv = {const_cast<char*>(executable.c_str()), const_cast<char*>(kServeFlag),
                             parent.data(), nullptr};
  int rc = posix_spawn(&pid_, executable.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(child_end);
  ::close(child_data);
  if (rc != 0) {
    pid_ = -1;
    ::close(channel_);
    channel_ = -1;
    fail("cannot start the measurement worker {}: {}", executable, std::strerror(rc));
  }
}

WorkerProcess::~WorkerProcess() { kill_now(); }

bool WorkerProcess::send_line(const std::string& line) {
  std::string data = line + "\n";
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::send(channel_, p, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // EPIPE / ECONNRESET: the worker is gone
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

WorkerProcess::ReadStatus WorkerProcess::read_line(std::string& line, double timeout_seconds) {
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(timeout_seconds));
  while (true) {
    if (size_t nl = pending_.find('\n'); nl != std::string::npos) {
      line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return ReadStatus::Line;
    }
    auto left = std::chrono::duration<double, std::milli>(deadline - Clock::now()).count();
    if (left <= 0) return ReadStatus::Timeout;
    pollfd pfd{channel_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(std::min(std::ceil(left), 1e9)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return ReadStatus::Closed;
    }
    if (ready == 0) continue;  // re-check the deadline at the top
    char buf[4096];
    ssize_t n = ::recv(channel_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return ReadStatus::Closed;
    pending_.append(buf, static_cast<size_t>(n));
  }
}

std::string WorkerProcess::wait_for_exit(double grace_seconds) {
  if (channel_ >= 0) {
    ::close(channel_);
    channel_ = -1;
  }
  if (pid_ <= 0) return "not running";
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(grace_seconds));
  int status = 0;
  while (true) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) {  // someone else reaped it: nothing left to wait for
      pid_ = -1;
      return "ended (status unknown)";
    }
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  pid_ = -1;
  return describe_status(status);
}

std::string WorkerProcess::reap_after_close() { return wait_for_exit(2.0); }

void WorkerProcess::kill_now() {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
  wait_for_exit(0);
}

void WorkerProcess::finish() { wait_for_exit(2.0); }

}  // namespace bcd::runtime::worker
