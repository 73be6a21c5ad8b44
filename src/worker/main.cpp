// bcd-worker: runs candidate kernels for run_all (src/runtime/measure_runner.cpp)
// in a process of its own, so that a kernel that crashes or hangs takes down only
// this process. The protocol is in src/runtime/worker_protocol.h.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "runtime/worker_protocol.h"
#include "support/error.h"
#include "worker/kernel_runner.h"

using namespace bcd;
namespace proto = bcd::runtime::worker;

namespace {

int channel = -1;

bool send_line(const std::string& text) {
  std::string data = text + "\n";
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(channel, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

// False at the end of the stream (the parent is done or gone).
bool read_line(std::string& pending, std::string& line) {
  while (true) {
    if (size_t nl = pending.find('\n'); nl != std::string::npos) {
      line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      return true;
    }
    char buf[4096];
    ssize_t n = ::read(channel, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    pending.append(buf, static_cast<size_t>(n));
  }
}

// Leaves the process with only stdin (/dev/null), stdout (= stderr), stderr, the
// channel and the data: a kernel's printf cannot corrupt the protocol, and no
// descriptor inherited by accident keeps someone else's pipe open.
void isolate_descriptors() {
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::close(devnull);
  }
  ::dup2(2, 1);
  ::close_range(proto::kDataFd + 1, ~0u, 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::strcmp(argv[1], proto::kServeFlag) != 0) {
    std::fprintf(stderr,
                 "bcd-worker: runs kernels for bcd's measurements; it is started by bcd, "
                 "not by hand\n");
    return 2;
  }
  // Die with the parent: an orphaned worker spinning in a hung kernel would hold a
  // core forever. Checked after the prctl to close the race with an early exit.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (std::to_string(::getppid()) != argv[2]) return 3;
  channel = proto::kChannelFd;
  isolate_descriptors();

  std::unique_ptr<worker::KernelRunner> runner;
  try {
    runner = std::make_unique<worker::KernelRunner>(proto::read_data(proto::kDataFd));
  } catch (const std::exception& e) {
    send_line(proto::encode_fatal(e.what()));
    return 1;
  }
  if (!send_line(proto::encode_ready())) return 0;

  std::string pending, line;
  while (read_line(pending, line)) {
    proto::Reply reply;
    try {
      reply = runner->handle(proto::decode_request(line));
    } catch (const std::exception& e) {
      reply = proto::Reply{runtime::MeasureError::Unknown, e.what(), {}, false};
    }
    if (!send_line(proto::encode_reply(reply))) return 0;
    if (reply.restart) return 0;
  }
  return 0;
}
