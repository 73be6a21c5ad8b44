// The tuner survives its children: a compiler or a measurement worker killed from
// outside is started again and the run goes on; a compiler dies with a tuner killed
// by -9; a full disk ends the run in one line without blaming any candidate.
// Each test stands in a shell script for the compiler ($BCD_CC) or the worker
// ($BCD_WORKER) that misbehaves on purpose.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/bcd_cli.h"
#include "tuning/records.h"

namespace fs = std::filesystem;
using namespace bcd;
using namespace bcd::testutil;

namespace {

// A small tuning run into `dir`/run: 4 candidates, one round.
std::vector<std::string> small_tune(const fs::path& dir, const std::string& seed = "1") {
  return {"tune-op",    "dense", "--params", "m=8,n=8,k=8", "--num-trials", "4", "--num-measures-per-round", "4",
          "--population", "16", "--num-iterations", "1", "--seed", seed, "--log-dir", (dir / "run").string()};
}

int count_errors(const std::vector<tuning::Record>& records, runtime::MeasureError kind) {
  int n = 0;
  for (const auto& r : records) n += r.result.error == kind;
  return n;
}

bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, name, state;
  if (!(stat >> pid_field >> name >> state)) return true;
  return state == "Z" || state == "X";  // dead, waiting for a parent to reap it
}

}  // namespace

TEST(Supervision, ACompilerKilledWhileBuildingTheReferenceIsRunAgainAndTheRunGoesOn) {
  fs::path dir = temp_dir("kill-cc");
  // The first real compile (the reference program of the task) is killed by -9.
  write_script(dir / "cc", "if [ ! -e " + (dir / "killed").string() + " ] && echo \"$*\" | grep -q -- -shared; then\n"
                           "  touch " + (dir / "killed").string() + "; kill -9 $$\nfi\nexec " + real_compiler() +
                           " \"$@\"\n");
  ScopedEnv cc("BCD_CC", (dir / "cc").string());
  ScopedEnv cache("BCD_CACHE_DIR", (dir / "cache").string());
  BcdRun r = run_bcd(small_tune(dir));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "killed"));
  auto records = tuning::load_records((dir / "run" / "records.json").string());
  EXPECT_EQ(records.size(), 4u);
  EXPECT_EQ(count_errors(records, runtime::MeasureError::Compile), 0);
  fs::remove_all(dir);
}

TEST(Supervision, ACompilerKilledEveryTimeIsOneLineNamingTheSignal) {
  fs::path dir = temp_dir("kill-cc-always");
  write_script(dir / "cc", "echo \"$*\" | grep -q -- -shared && kill -9 $$\nexec " + real_compiler() + " \"$@\"\n");
  ScopedEnv cc("BCD_CC", (dir / "cc").string());
  ScopedEnv cache("BCD_CACHE_DIR", (dir / "cache").string());
  expect_one_line_error(run_bcd({"op", "dense", "--params", "m=8,n=8,k=8"}), "killed by signal 9");
  fs::remove_all(dir);
}

TEST(Supervision, AWorkerKilledWhileItStartsIsStartedAgain) {
  fs::path dir = temp_dir("kill-worker");
  write_script(dir / "worker", "if [ ! -e " + (dir / "killed").string() + " ]; then touch " +
                                   (dir / "killed").string() + "; kill -9 $$; fi\nexec " BCD_BUILD_DIR
                                   "/bcd-worker \"$@\"\n");
  ScopedEnv worker("BCD_WORKER", (dir / "worker").string());
  BcdRun r = run_bcd(small_tune(dir));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "killed"));
  auto records = tuning::load_records((dir / "run" / "records.json").string());
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(count_errors(records, runtime::MeasureError::None), 4) << r.output;
  fs::remove_all(dir);
}

TEST(Supervision, AWorkerThatNeverStartsIsARuntimeErrorOfEachCandidateAndTheRunEnds) {
  fs::path dir = temp_dir("dead-worker");
  write_script(dir / "worker", "kill -9 $$\n");
  ScopedEnv worker("BCD_WORKER", (dir / "worker").string());
  BcdRun r = run_bcd(small_tune(dir));
  auto records = tuning::load_records((dir / "run" / "records.json").string());
  ASSERT_EQ(records.size(), 4u) << r.output;
  EXPECT_EQ(count_errors(records, runtime::MeasureError::Runtime), 4);
  EXPECT_NE(records[0].result.error_message.find("could not start (3 tries)"), std::string::npos)
      << records[0].result.error_message;
  fs::remove_all(dir);
}

TEST(Supervision, KillingTheTunerKillsItsCompiler) {
  fs::path dir = temp_dir("orphan-cc");
  // The compiler of the first real compile records its pid and hangs.
  write_script(dir / "cc", "echo \"$*\" | grep -q -- -shared && { echo $$ > " + (dir / "cc.pid").string() +
                               "; exec sleep 300; }\nexec " + real_compiler() + " \"$@\"\n");
  ScopedEnv cc("BCD_CC", (dir / "cc").string());
  ScopedEnv cache("BCD_CACHE_DIR", (dir / "cache").string());
  pid_t tuner = spawn_bcd(small_tune(dir), (dir / "log").string());
  ASSERT_GT(tuner, 0);
  pid_t compiler = 0;
  for (int i = 0; i < 600 && compiler == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ifstream(dir / "cc.pid") >> compiler;
  }
  ASSERT_GT(compiler, 0) << "the compiler never started";
  EXPECT_FALSE(process_gone(compiler));
  kill(tuner, SIGKILL);
  waitpid(tuner, nullptr, 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = process_gone(compiler);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gone) << "compiler " << compiler << " outlived the tuner";
  if (!gone) kill(compiler, SIGKILL);
  fs::remove_all(dir);
}

// A full disk needs a small file system of its own: a tmpfs mounted in a private
// mount namespace (root, as on CI); skipped where that is not allowed.
TEST(Supervision, AFullDiskEndsTheRunInOneLineAndRecordsNoCompileErrors) {
  if (run_shell("unshare -m true").status != 0) GTEST_SKIP() << "cannot create a mount namespace (not root)";
  fs::path dir = temp_dir("full-disk");
  fs::create_directories(dir / "disk");
  auto join = [](const std::vector<std::string>& args) {
    std::string s;
    for (const auto& a : args) s += " '" + a + "'";
    return s;
  };
  const std::string disk = (dir / "disk").string(), bcd = BCD_BINARY;
  // First a run that fills the cache with the task's reference program, then the
  // disk is filled, then a second run with other candidates, then a run whose log
  // directory is on the full disk.
  std::string script = "mount -t tmpfs -o size=8m tmpfs " + disk + " || exit 90\n" +
                       "export BCD_CACHE_DIR=" + disk + "/cache\n" + bcd + join(small_tune(dir / "a", "1")) +
                       " > " + (dir / "a.out").string() + " 2>&1 || exit 91\n" +
                       "dd if=/dev/zero of=" + disk + "/filler bs=4k 2>/dev/null\n" +
                       bcd + join(small_tune(dir / "b", "2")) + " > " + (dir / "b.out").string() + " 2>&1\n" +
                       "echo $? > " + (dir / "b.status").string() + "\n" +
                       bcd + join(small_tune(fs::path(disk) / "c", "3")) + " > " + (dir / "c.out").string() +
                       " 2>&1\necho $? > " + (dir / "c.status").string() + "\n";
  std::ofstream(dir / "script.sh") << script;
  BcdRun r = run_shell("unshare -m sh " + (dir / "script.sh").string());
  ASSERT_EQ(r.status, 0) << r.output;
  auto read = [&](const std::string& name) { return read_file(dir / name); };
  // One error line, the run's last, naming the cause.
  auto expect_disk_full = [&](const std::string& run) {
    std::string out = read(run + ".out");
    EXPECT_EQ(read(run + ".status"), "1\n") << out;
    size_t error = out.find("bcd: error: ");
    ASSERT_NE(error, std::string::npos) << out;
    EXPECT_EQ(out.find('\n', error), out.size() - 1) << out;
    EXPECT_NE(out.find("No space left on device", error), std::string::npos) << out;
  };
  // The second run: no candidate is blamed for the full cache.
  expect_disk_full("b");
  auto records = tuning::load_records((dir / "b" / "run" / "records.json").string());
  EXPECT_EQ(count_errors(records, runtime::MeasureError::Compile), 0);
  EXPECT_EQ(records.size(), 0u);
  // The third: its log directory is on the full disk.
  expect_disk_full("c");
  fs::remove_all(dir);
}
