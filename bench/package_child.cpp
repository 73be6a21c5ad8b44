// What an application that deploys a package is, for bench/package_bench.cpp to
// measure in a fresh process: this program links only the bcd runtime. It loads the
// package, runs it once (the first run), then `runs` more, and prints
// "load_ms first_ms steady_ms peak_rss_kib".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bcd/runtime.hpp"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  auto t = Clock::now();
  bcd::Model model(argv[1]);
  const double load = ms_since(t);
  std::vector<std::vector<float>> in, out;
  std::vector<const float*> ip;
  std::vector<float*> op;
  for (int i = 0; i < model.num_inputs(); ++i) ip.push_back(in.emplace_back(model.input(i).size, 0.25f).data());
  for (int i = 0; i < model.num_outputs(); ++i) op.push_back(out.emplace_back(model.output(i).size).data());
  t = Clock::now();
  if (bcd_model_run(model.handle(), ip.data(), op.data()) != BCD_OK) return 1;
  const double first = ms_since(t);
  std::vector<double> steady;
  for (int r = 0; r < std::stoi(argv[2]); ++r) {
    t = Clock::now();
    bcd_model_run(model.handle(), ip.data(), op.data());
    steady.push_back(ms_since(t));
  }
  std::sort(steady.begin(), steady.end());
  // VmHWM, not getrusage: a child started by vfork (posix_spawn) inherits its
  // parent's peak in ru_maxrss.
  long peak_kib = 0;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) peak_kib = std::stol(line.substr(6));
  std::printf("%.4f %.4f %.4f %ld\n", load, first, steady.empty() ? 0.0 : steady[steady.size() / 2], peak_kib);
  return 0;
}
