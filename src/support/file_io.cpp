#include "support/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "support/error.h"

namespace bcd {

void write_file(const std::string& path, const std::string& bytes, const std::string& what) {
  const std::string failure = what.empty() ? "cannot write " + path : what;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail_io(errno, failure);
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      fail_io(e, failure);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) fail_io(errno, failure);
}

}  // namespace bcd
