// The parent's handle on one bcd-worker process: spawn (posix_spawn of a fresh
// executable, never a fork of the tuner, which runs threads and OpenMP), line I/O
// with a deadline, and an end that always reaps the child, so no zombie outlives
// the handle whatever path leaves it (timeout, crash, exception).
#pragma once
#include <string>
#include <sys/types.h>

namespace bcd::runtime::worker {

class WorkerProcess {
 public:
  // Starts `executable` with `data_fd` as its data descriptor. Fails (bcd::Error) if
  // the process cannot be started.
  WorkerProcess(const std::string& executable, int data_fd);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Sends one line (a newline is appended). False when the worker is gone.
  bool send_line(const std::string& line);

  enum class ReadStatus { Line, Timeout, Closed };
  // Waits at most `timeout_seconds` for one complete line (without its newline).
  ReadStatus read_line(std::string& line, double timeout_seconds);

  // After Closed: reaps the worker (killing it if it lingers) and says how it
  // ended, e.g. "killed by signal 11 (Segmentation fault)".
  std::string reap_after_close();
  // Kills and reaps at once (timeouts, protocol errors).
  void kill_now();
  // The normal end: closing the channel asks the worker to exit; it is killed if
  // it has not within a short grace period.
  void finish();

 private:
  std::string wait_for_exit(double grace_seconds);

  pid_t pid_ = -1;
  int channel_ = -1;
  std::string pending_;  // bytes read past the last returned line
};

}  // namespace bcd::runtime::worker
