// A compiled package against `bcd run`'s in-memory network with the same records
// (docs/results/packages.md): load time and first run in a fresh process, steady
// latency interleaved in one process (medians), peak resident memory of a process
// that loads and runs the package (bench/package_child.cpp, which links only the
// bcd runtime) against weights + planned activations, and the
// alternative layout of the weights (a separate file, memory-mapped) timed on the
// same bytes.
//
//   bcd_bench_package --model resnet-18 --records runs/r18/records.json [--rounds 7] [--repeat 30]
#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "api/compile.h"
#include "bcd/runtime.hpp"
#include "executor/network.h"
#include "executor/verify.h"
#include "package_runtime/package_format.h"
#include "runtime/timer.h"
#include "search/target.h"
#include "support/error.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Child: map a weights file and check its hash, as a loader of that layout would.
int child_mmap(const std::string& file) {
  auto t = Clock::now();
  int fd = open(file.c_str(), O_RDONLY);
  struct stat st {};
  fstat(fd, &st);
  void* p = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  volatile uint64_t h = bcd::package::weights_hash(static_cast<const unsigned char*>(p), st.st_size);
  (void)h;
  const double ms = ms_since(t);
  munmap(p, st.st_size);
  close(fd);
  std::printf("%.4f\n", ms);
  return 0;
}

std::vector<double> spawn_self(const std::vector<std::string>& args) {
  std::string out_file = fmt::format("/tmp/bcd-package-bench-{}.txt", getpid());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // The package's own child links only the bcd runtime (bench/package_child.cpp).
  const bool app = args[0] == "--child";
  const std::string program = app ? BCD_PACKAGE_CHILD : "/proc/self/exe";
  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), args.begin() + (app ? 1 : 0), args.end());
  std::vector<char*> c;
  for (auto& a : argv) c.push_back(a.data());
  c.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, program.c_str(), &actions, nullptr, c.data(), environ) != 0) bcd::fail("cannot spawn");
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(out_file);
  std::vector<double> values;
  for (double v; in >> v;) values.push_back(v);
  std::filesystem::remove(out_file);
  if (values.empty()) bcd::fail("child {} printed nothing", args[0]);
  return values;
}

double med(std::vector<double> v) { return bcd::runtime::median(std::move(v)); }

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--child-mmap") return child_mmap(argv[2]);
  CLI::App app{"package against in-memory network"};
  bcd::api::CompileConfig config;
  int rounds = 7, repeat = 30;
  std::string out_dir = "bench_out/package";
  app.add_option("--model", config.model.model)->required();
  app.add_option("--records", config.records);
  app.add_option("--image-size", config.model.zoo.image_size);
  app.add_option("--rounds", rounds);
  app.add_option("--repeat", repeat);
  app.add_option("--out", out_dir);
  CLI11_PARSE(app, argc, argv);
  try {
    std::filesystem::create_directories(out_dir);
    std::string name = std::filesystem::path(config.model.model).filename().string();
    if (name.ends_with(".onnx")) name.resize(name.size() - 5);
    config.output = out_dir + "/" + name + ".so";
    bcd::package::PackageSummary summary = bcd::api::compile_network(config);
    std::vector<std::string> warnings;
    const bcd::Target target = bcd::search::resolve_target(config.target);
    const std::vector<bcd::tuning::Record> records = bcd::api::load_records_file(config.records, &warnings);
    const bcd::api::ModelSpec::Loaded loaded = config.model.load_for(target, records);
    const bcd::graph::Graph& graph = loaded.graph();
    bcd::executor::Network net = bcd::executor::Network::build(graph, records, {.target = target});

    // Fresh processes: load, first run, steady latency alone, peak RSS.
    std::vector<double> load, first, alone, rss, mapped;
    for (int r = 0; r < rounds; ++r) {
      std::vector<double> v = spawn_self({"--child", config.output, std::to_string(repeat)});
      load.push_back(v.at(0));
      first.push_back(v.at(1));
      alone.push_back(v.at(2));
      rss.push_back(v.at(3) * 1024);
    }

    // Interleaved in this process: the package and the in-memory network.
    bcd::Model model(config.output);
    std::vector<bcd::NDArray> inputs;
    std::vector<const bcd::NDArray*> args;
    std::vector<const float*> ip;
    for (int id : graph.inputs()) inputs.emplace_back(graph.node(id).shape).fill(0.25f);
    for (const auto& a : inputs) args.push_back(&a), ip.push_back(a.data());
    std::vector<bcd::NDArray> outs;
    std::vector<float*> op;
    for (int i = 0; i < model.num_outputs(); ++i) op.push_back(outs.emplace_back(model.output(i).shape).data());
    std::vector<double> package_ms, network_ms;
    for (int r = 0; r < rounds; ++r) {
      package_ms.push_back(med(bcd::runtime::time_function(
                               [&] { bcd_model_run(model.handle(), ip.data(), op.data()); },
                               {.number = 1, .repeat = repeat})) *
                           1e3);
      network_ms.push_back(med(bcd::executor::time_network(net, args, repeat)) * 1e3);
    }

    // The alternative: the same weight bytes in a file beside the library, mapped.
    const std::string weights_file = out_dir + "/weights.bin";
    {
      void* lib = dlopen(std::filesystem::absolute(config.output).c_str(), RTLD_NOW | RTLD_LOCAL);
      auto fn = reinterpret_cast<bcd::package::WeightsFn>(dlsym(lib, bcd::package::kWeightsSymbol));
      uint64_t size = 0;
      const unsigned char* data = fn(&size);
      std::ofstream(weights_file, std::ios::binary).write(reinterpret_cast<const char*>(data), size);
      dlclose(lib);
    }
    for (int r = 0; r < rounds; ++r) mapped.push_back(spawn_self({"--child-mmap", weights_file}).at(0));
    std::filesystem::remove(weights_file);

    const double bound = static_cast<double>(summary.weight_bytes + summary.workspace_bytes);
    std::string report = fmt::format(
        "| {} | {} of {} tuned | {:.1f} MiB | {:.2f} ms | {:.2f} ms | {:.3f} ms | {:.3f} ms | {:.3f} | {:.3f} ms | "
        "{:.1f} MiB ({:.2f}x) | {:.2f} ms |\n",
        config.model.model, summary.tuned_tasks, summary.tasks, summary.weight_bytes / 1048576.0, med(load),
        med(first), med(package_ms), med(network_ms), med(network_ms) / med(package_ms), med(alone),
        med(rss) / 1048576.0, med(rss) / bound, med(mapped));
    std::string header =
        "| model | tasks | weights | load | first run | package | network | network/package | package alone | "
        "peak RSS (x weights+activations) | weights file mmap+hash |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
    fmt::print("{}{}", header, report);
    std::ofstream(out_dir + "/package_bench.md", std::ios::app) << report;
  } catch (const std::exception& e) {
    fmt::print(stderr, "bcd_bench_package: {}\n", e.what());
    return 1;
  }
  return 0;
}
