#include "runtime/compiler.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "support/error.h"
#include "support/file_io.h"
#include "support/hash.h"

extern char** environ;

namespace bcd::runtime {

namespace fs = std::filesystem;

namespace {

std::string default_cache_dir() {
  if (const char* dir = std::getenv("BCD_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/bcd/kernels";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/bcd/kernels";
  return (fs::temp_directory_path() / "bcd-kernels").string();
}

// Where `program` is on PATH ("" when nowhere), as execvp would find it.
std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return dir + "/" + program;
  return "";
}

CompilerConfig make_config() {
  CompilerConfig c;
  const char* cc = std::getenv("BCD_CC");
  // clang 19 when installed: on the measured conv kernels it compiled 2.5x faster
  // than Debian's default clang 14 (whose loop strength reduction takes seconds on
  // unrolled nests) and its code ran faster (Zen 4 is unknown to clang 14).
  // The fallback needs its own OpenMP runtime (libomp-dev for Debian's clang).
  c.compiler = cc && *cc ? cc : !find_on_path("clang-19").empty() ? "clang-19" : "clang";
  // -O3 -march=native: the kernels run where they are compiled.
  // Errno-free math lets clang vectorize expf/sqrtf calls. Full -ffast-math is
  // avoided: it assumes no infinities, and max-reductions start from -INFINITY.
  // Reassociation, which vectorizing a reduction needs, is not a flag either: the
  // generated code asks for it in innermost reduction loops only (codegen_c.cpp).
  // With -fassociative-math everywhere, clang 19.1.7's SLP vectorizer miscompiled
  // a search State of a small conv2d (unrolled 2 x 5 x 2 accumulator tile, 18-term
  // sums: off by up to 0.44; clang 14, gcc, -O1, or no reassociation: correct).
  // -mllvm -slp-recursion-max-depth=4 (LLVM's default: 12): deeper SLP trees of
  // clang 19.1.7 miscompiled, with these flags, a search State of conv2d + bias +
  // relu (an unrolled 2 x 5 x 2 tile) and the default program of a transpose feeding
  // a 2 x 3 x 3 batch_matmul (tests/runtime/clang_slp_regression_test.cpp; gcc,
  // -fno-slp-vectorize or depth 4 compute them right, depth 6 and 8 do not). The
  // hand-scheduled matmul and convolutions of bench/ run as fast at depth 4
  // (-fno-slp-vectorize cost the matmul 15x).
  // -mprefer-vector-width=512: on AVX-512 CPUs clang otherwise vectorizes with
  // 256-bit registers (its tuning for these CPUs), which halves the peak: tuned
  // dense and conv kernels plateaued at 175-180 GFLOP/s on 2 Sapphire Rapids cores
  // (the 256-bit FMA peak) while oneDNN ran at 315-370. Without AVX-512 the flag
  // changes nothing: the width stays what the CPU has.
  c.flags = {"-O3", "-march=native", "-mprefer-vector-width=512", "-std=c11", "-fPIC", "-shared",
             "-fopenmp", "-fno-math-errno", "-fno-trapping-math", "-fno-signed-zeros", "-ffp-contract=fast",
             "-mllvm", "-slp-recursion-max-depth=4", "-w"};
  c.cache_dir = default_cache_dir();
  return c;
}

// How a child process ended.
struct ProcessEnd {
  bool timed_out = false;  // ran past its deadline and was killed
  int signal = 0;          // killed by this signal (not by us)
  int exit_code = 0;
  bool ok() const { return !timed_out && signal == 0 && exit_code == 0; }
};

// The compiler driver runs the linker as a child process: a kill must reach it,
// or it links on, orphaned. (A process group of its own would do it too, but would
// also shield the compiler from the terminal's Ctrl-C.)
void kill_process_tree(pid_t pid) {
  std::ifstream children(fmt::format("/proc/{}/task/{}/children", pid, pid));
  for (pid_t child; children >> child;) kill_process_tree(child);
  kill(pid, SIGKILL);
}

// The absolute path of `program` as execvp would find it, resolved before fork:
// the child may only make async-signal-safe calls.
std::string resolve_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  std::string found = find_on_path(program);
  if (found.empty()) fail("cannot start the kernel compiler '{}': not found on PATH", program);
  return found;
}

// Runs argv, stdout/stderr into `log`, for at most `timeout_seconds` (0: no limit).
// The child dies with the thread that waits for it (PR_SET_PDEATHSIG), so a bcd
// killed with -9 leaves no compiler running; fork instead of posix_spawn for that,
// with everything the child needs prepared before.
ProcessEnd run_process(const std::vector<std::string>& argv, const std::string& log, double timeout_seconds) {
  std::string program = resolve_program(argv[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) fail_io(errno, "cannot create the compiler log " + log);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before the prctl
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execv(program.c_str(), args.data());
    _exit(127);
  }
  const int fork_errno = errno;
  ::close(log_fd);
  if (pid < 0) fail("cannot start the kernel compiler '{}': {}", argv[0], std::strerror(fork_errno));
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(timeout_seconds));
  int status = 0;
  for (;;) {
    pid_t done = waitpid(pid, &status, timeout_seconds > 0 ? WNOHANG : 0);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) fail("waiting for the kernel compiler: {}", std::strerror(errno));
    if (done == 0 && Clock::now() >= deadline) {
      kill_process_tree(pid);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return {.timed_out = true};
    }
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFSIGNALED(status)) return {.signal = WTERMSIG(status)};
  return {.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 1};
}

// A compiler killed by a signal from outside (the OOM killer, a user's kill) is
// no verdict on the program: it is run again, up to kCompilerAttempts times with
// growing pauses, before the failure counts.
constexpr int kCompilerAttempts = 3;

ProcessEnd run_compiler(const std::vector<std::string>& argv, const std::string& log, double timeout_seconds) {
  ProcessEnd end;
  for (int attempt = 0; attempt < kCompilerAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250 << (2 * (attempt - 1))));
    end = run_process(argv, log, timeout_seconds);
    if (end.signal == 0) break;
  }
  return end;
}

// Past a failed compile or link: a full disk under `dir` is the likelier cause
// than the program (the compiler could not even write its log to say so).
void check_space_after_failure(const std::string& dir) {
  constexpr std::uintmax_t kTooLittle = 8u << 20;
  std::error_code ec;
  fs::space_info space = fs::space(dir, ec);
  if (!ec && space.available < kTooLittle)
    throw NoSpace(fmt::format("{}: No space left on device ({} KiB free)", dir, space.available / 1024));
}

// One line for a failed compiler run.
std::string describe_failure(const ProcessEnd& end, const std::string& message) {
  if (end.signal != 0)
    return fmt::format("(the compiler was killed by signal {} ({}), {} times)", end.signal, strsignal(end.signal),
                       kCompilerAttempts);
  return fmt::format("(exit {}): {}", end.exit_code, message);
}

std::string first_error_line(const std::string& log) {
  std::ifstream in(log);
  std::string line, first;
  while (std::getline(in, line)) {
    if (first.empty() && !line.empty()) first = line;
    if (line.find("error") != std::string::npos) return line;
  }
  return first.empty() ? "no output" : first;
}

// The pid in a temporary's name ".<key>-<pid>-<n>.<ext>", or 0 for other names.
pid_t temporary_owner(const std::string& name) {
  size_t key_end = name.find('-');
  if (name.size() < 2 || name[0] != '.' || key_end == std::string::npos || key_end == 1) return 0;
  size_t pid_end = name.find('-', key_end + 1);
  if (pid_end == std::string::npos || pid_end == key_end + 1) return 0;
  for (size_t i = 1; i < key_end; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(name[i]))) return 0;
  pid_t pid = 0;
  for (size_t i = key_end + 1; i < pid_end; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i])) || pid > 100000000) return 0;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid;
}

}  // namespace

int remove_orphaned_temporaries(const std::string& cache_dir) {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(cache_dir, ec), end; !ec && it != end; it.increment(ec)) {
    pid_t owner = temporary_owner(it->path().filename().string());
    // kill(pid, 0) fails with ESRCH only when no such process exists; a live (or
    // reused) pid keeps its files, which at worst leaves a stale one in place.
    if (owner <= 0 || owner == getpid() || kill(owner, 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    if (fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

const CompilerConfig& compiler_config() {
  static const CompilerConfig config = make_config();
  return config;
}

std::string cached_artifact(const std::string& key_material, const std::string& extension,
                            const std::function<void(const std::string& tmp_base)>& build) {
  const CompilerConfig& config = compiler_config();
  std::string key = stable_hash_hex(key_material);
  fs::create_directories(config.cache_dir);
  static std::once_flag swept;
  std::call_once(swept, [&] { remove_orphaned_temporaries(config.cache_dir); });
  fs::path result = fs::path(config.cache_dir) / (key + extension);
  if (fs::exists(result)) return result.string();

  // Unique temporary names, then an atomic rename: concurrent builders and
  // processes may compile the same source at once.
  static std::atomic<int> counter{0};
  std::string tmp_base = fmt::format("{}/.{}-{}-{}", config.cache_dir, key, getpid(), counter++);
  std::string tmp_result = tmp_base + extension;
  try {
    build(tmp_base);
  } catch (...) {
    fs::remove(tmp_result);
    throw;
  }
  fs::rename(tmp_result, result);
  return result.string();
}

double default_compile_timeout() {
  static const double seconds = [] {
    const char* env = std::getenv("BCD_COMPILE_TIMEOUT");
    if (!env || !*env) return 600.0;
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    if (end == env || *end != '\0' || !(v > 0)) fail("BCD_COMPILE_TIMEOUT must be a positive number of seconds, not '{}'", env);
    return v;
  }();
  return seconds;
}

namespace {

// Compiles `source` with the kernel flags, as a shared object or (object_file) as a
// relocatable object for link_shared_library; cached by compiler, flags and source.
std::string compile_c(const std::string& source, double timeout_seconds, bool object_file) {
  const CompilerConfig& config = compiler_config();
  if (!(timeout_seconds > 0)) timeout_seconds = default_compile_timeout();
  std::vector<std::string> flags = config.flags;
  if (object_file) std::replace(flags.begin(), flags.end(), std::string("-shared"), std::string("-c"));
  std::string signature = config.compiler;
  for (const auto& f : flags) signature += " " + f;
  const std::string extension = object_file ? ".o" : ".so";
  return cached_artifact(signature + "\n" + source, extension, [&](const std::string& tmp_base) {
    std::string c_file = tmp_base + ".c", out_tmp = tmp_base + extension, log = tmp_base + ".log";
    write_file(c_file, source, "cannot write to the kernel cache " + config.cache_dir);
    std::vector<std::string> argv = {config.compiler};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {c_file, "-o", out_tmp});
    if (!object_file) argv.push_back("-lm");
    ProcessEnd end = run_compiler(argv, log, timeout_seconds);
    std::string message = end.exit_code != 0 ? first_error_line(log) : "";
    fs::remove(c_file);
    fs::remove(log);
    if (end.timed_out) {
      fs::remove(out_tmp);
      throw CompileTimeout(fmt::format("compilation did not finish within {} s", timeout_seconds));
    }
    if (!end.ok()) {
      fs::remove(out_tmp);
      check_space_after_failure(config.cache_dir);
      fail("kernel compilation failed {}", describe_failure(end, message));
    }
  });
}

}  // namespace

std::string compile_shared_object(const std::string& source, double timeout_seconds) {
  return compile_c(source, timeout_seconds, false);
}

std::string compile_object(const std::string& source, double timeout_seconds) {
  return compile_c(source, timeout_seconds, true);
}

void link_shared_library(const std::vector<std::string>& inputs, const std::string& output,
                         const std::vector<std::string>& flags, double timeout_seconds) {
  std::vector<std::string> argv = {compiler_config().compiler, "-shared", "-fPIC", "-fopenmp"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), inputs.begin(), inputs.end());
  argv.insert(argv.end(), {"-o", output, "-lm"});
  const std::string log = output + ".log";
  ProcessEnd end = run_compiler(argv, log, timeout_seconds);
  std::string message = end.exit_code != 0 ? first_error_line(log) : "";
  fs::remove(log);
  if (end.timed_out) fail("linking {} did not finish within {} s", output, timeout_seconds);
  if (!end.ok()) {
    check_space_after_failure(fs::absolute(output).parent_path().string());
    fail("linking {} failed {}", output, describe_failure(end, message));
  }
}

namespace {

// The cc1 command line the driver would run for -march=native ("" when the
// compiler cannot tell): -march=native appears there resolved, as -target-cpu NAME
// and one -target-feature +NAME per enabled feature.
const std::string& native_cc1_line() {
  static const std::string line = [] {
    std::string log = (fs::temp_directory_path() / fmt::format("bcd-cpu-{}.log", getpid())).string();
    std::string text;
    try {
      ProcessEnd end = run_process({compiler_config().compiler, "-###", "-march=native", "-x", "c", "-c", "/dev/null",
                                    "-o", "/dev/null"},
                                   log, 30);
      std::ifstream in(log);
      if (end.ok()) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const Error&) {
      // No compiler: the CPU stays unknown; compiling will say why.
    }
    fs::remove(log);
    return text;
  }();
  return line;
}

}  // namespace

std::string host_cpu_name() {
  const std::string& text = native_cc1_line();
  const std::string key = "\"-target-cpu\" \"";
  size_t at = text.find(key);
  if (at == std::string::npos) return "";
  size_t begin = at + key.size(), end = text.find('"', begin);
  return end == std::string::npos ? "" : text.substr(begin, end - begin);
}

std::vector<std::string> host_cpu_features() {
  const std::string& text = native_cc1_line();
  const std::string key = "\"-target-feature\" \"+";
  std::vector<std::string> features;
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
    size_t begin = at + key.size(), end = text.find('"', begin);
    if (end == std::string::npos) break;
    features.push_back(text.substr(begin, end - begin));
  }
  return features;
}

}  // namespace bcd::runtime
