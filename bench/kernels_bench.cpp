// Benchmark: hand-scheduled bcd kernels against OpenBLAS (matmul) and oneDNN (conv),
// in one process with one thread count. Every kernel's output is checked against the
// operator's reference before it is timed; the timings of ours and of the baseline
// are interleaved (repeat r of both before repeat r+1 of either) so that a change in
// the machine's load hits both alike, and the ratio of medians is reported. The
// numbers only mean something on an otherwise idle machine: the load average is
// printed and recorded with them.
//
//   build-bench/bench/bcd_bench_kernels [--threads N] [--repeat N] [--json PATH]
//       [--only matmul|conv2d_nchw|conv2d_nhwc ...] [--show-code] [--save-code DIR]
#include <CLI/CLI.hpp>
#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "baselines.h"
#include "hand_schedules.h"
#include "lower/lower.h"
#include "ops/registry.h"
#include "runtime/compiler.h"
#include "runtime/measure.h"
#include "runtime/module.h"
#include "runtime/timer.h"
#include "schedule/transform_step.h"
#include "search/target.h"
#include "support/error.h"
#include "tuning/records.h"

namespace bcd::bench {
namespace {

struct Options {
  int threads = 0;  // 0: every online core
  int repeat = 7;
  double min_block_ms = 200;
  double pause_ms = 300;
  double tolerance = 1e-3;
  std::string json_path = "bench_kernels.json";
  std::vector<std::string> only;
  bool show_code = false;
  std::string save_code_dir;
  double min_ratio = 0;
  std::string tuned_records;  // also time the tuned layers of bench/tune_layers.sh
};

// A kernel under test: how to build the operator, how we schedule it, and how the
// baseline computes the same thing from the same input buffers.
struct Case {
  std::string name;
  std::string op;
  std::string params;
  std::function<schedule::State(const ir::ComputeDAG&)> schedule;
  std::string baseline_name;
};

// The baseline, set up for one case's inputs: run() is the timed call, output() the
// result in the operator's output layout (for the check).
struct Baseline {
  std::function<void()> run;
  std::function<NDArray()> output;
  std::string detail;               // which implementation the library chose
  std::function<void()> quiesce = [] {};  // after its runs: stop threads that keep polling
};

ConvShape conv_shape(const ops::OpParams& p) {
  // The same keys and defaults as the registry's conv2d; only what the cases use.
  return ConvShape{p.get_int("n", 1), p.get_int("c", 64), p.get_int("h", 56), p.get_int("w", 56),
                   p.get_int("o", 64), p.get_int("kernel", 3), p.get_int("stride", 1),
                   p.get_int("pad", 1), p.get_str("layout", "NCHW") == "NHWC"};
}

Baseline make_baseline(const Case& c, const ops::OpInstance& inst, const std::vector<NDArray>& inputs) {
  ops::OpParams params = ops::OpParams::parse(c.params);
  std::vector<int64_t> out_shape = inst.dag.outputs()[0]->shape;
  if (c.op == "dense" && c.baseline_name == "oneDNN dense") {
    auto out = std::make_shared<NDArray>(out_shape);
    int64_t m = params.get_int("m", 0), n = params.get_int("n", 0), k = params.get_int("k", 0);
    auto ip = std::make_shared<OnednnDense>(m, n, k, inputs[0].data(), inputs[1].data(), out->data());
    return {[ip] { ip->run(); }, [out] { return out->copy(); }, ip->implementation()};
  }
  if (c.op == "dense") {
    auto out = std::make_shared<NDArray>(out_shape);
    int64_t m = params.get_int("m", 0), n = params.get_int("n", 0), k = params.get_int("k", 0);
    auto blas = std::make_shared<OpenBlasDense>(m, n, k, inputs[0].data(), inputs[1].data(), out->data());
    return {[blas] { blas->run(); }, [out] { return out->copy(); }, OpenBlasDense::version(),
            [] { OpenBlasDense::release_threads(); }};
  }
  if (c.op == "conv2d") {
    auto conv = std::make_shared<OnednnConv>(conv_shape(params), inputs[0].data(), inputs[1].data());
    return {[conv] { conv->run(); },
            [conv, out_shape] {
              NDArray out(out_shape);
              conv->read_output(out.data());
              return out;
            },
            conv->implementation()};
  }
  fail("no baseline for operator {}", c.op);
}

// Our kernels run on the OpenMP runtime the kernel compiler links (LLVM's libomp for
// clang), oneDNN on the one it was built with (GNU libgomp for Debian's), OpenBLAS on
// its own threads. Each gets the same thread count, set through its own API; a
// runtime that is not loaded yet reads OMP_NUM_THREADS when it starts. Returns what
// each loaded library now reports, for the record.
std::vector<std::pair<std::string, int>> set_threads(int threads) {
  setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
  OpenBlasDense::set_threads(threads);
  std::vector<std::pair<std::string, int>> seen = {{"openblas", OpenBlasDense::threads()}};
  std::set<void*> handles;  // one library may answer to several names
  for (const char* lib : {"libgomp.so.1", "libomp.so.5", "libomp.so", "libiomp5.so"}) {
    void* handle = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
    if (!handle) continue;
    auto set = reinterpret_cast<void (*)(int)>(dlsym(handle, "omp_set_num_threads"));
    auto get = reinterpret_cast<int (*)()>(dlsym(handle, "omp_get_max_threads"));
    if (set && get && handles.insert(handle).second) {
      set(threads);
      seen.emplace_back(lib, get());
    }
    dlclose(handle);
  }
  return seen;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

// The 1, 5 and 15 minute load averages: other work on the machine skews timings.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  if (!(in >> a >> b >> c)) return "unknown";
  return a + " " + b + " " + c;
}

struct Timing {
  std::vector<double> seconds;  // one per repeat
  double median() const { return runtime::median(seconds); }
};

struct Result {
  Case c;
  double flop = 0;
  double max_rel_error = 0, baseline_max_rel_error = 0;
  Timing ours, base;
  std::string baseline_detail;
  nlohmann::json schedule;
  double ratio() const { return base.median() / ours.median(); }  // >1: we are faster
  // The smallest and largest ratio of one repeat's pair of blocks: how much the
  // machine's noise moved the comparison.
  std::pair<double, double> ratio_range() const {
    double lo = 1e300, hi = 0;
    for (size_t i = 0; i < ours.seconds.size(); ++i) {
      lo = std::min(lo, base.seconds[i] / ours.seconds[i]);
      hi = std::max(hi, base.seconds[i] / ours.seconds[i]);
    }
    return {lo, hi};
  }
};

// Fails unless every output is within `tolerance` of the reference.
double check_outputs(const std::string& who, const std::vector<NDArray>& actual,
                     const std::vector<NDArray>& expected, double tolerance) {
  double worst = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    ArrayDiff d = compare_arrays(actual[i], expected[i]);
    worst = std::max(worst, d.max_rel);
    if (!(d.max_rel <= tolerance))
      fail("{}: output {} differs from the reference (max rel error {:.3g}, max abs {:.3g}, tolerance {})",
           who, i, d.max_rel, d.max_abs, tolerance);
  }
  return worst;
}

void pause(double ms) { std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms)); }

Result run_case(const Case& c, const Options& o) {
  Result r;
  r.c = c;
  ops::OpInstance inst = ops::build_op(c.op, ops::OpParams::parse(c.params));
  const ir::ComputeDAG& dag = inst.dag;
  r.flop = dag.flop_count();

  std::mt19937_64 rng(42);
  std::vector<NDArray> inputs = ops::random_inputs(inst, rng);
  std::vector<const NDArray*> input_ptrs;
  for (const auto& a : inputs) input_ptrs.push_back(&a);
  std::vector<NDArray> expected = inst.reference(input_ptrs);

  schedule::State state = c.schedule(dag);
  r.schedule = schedule::history_to_json(state.history());
  std::string kernel_name = "bench_" + c.name;
  // The program as bcd builds it for this CPU: weights in the order its loops read them.
  lower::Program program = search::lower_for_target(state, kernel_name, Target::cpu());
  runtime::BuildInput build = runtime::build_input(program, "llvm");
  const std::string& source = build.source;
  if (o.show_code) fmt::print("---- {}\n{}\n{}\n", c.name, lower::to_string(program.kernel), source);
  if (!o.save_code_dir.empty()) {
    std::string path = fmt::format("{}/{}.c", o.save_code_dir, c.name);
    std::ofstream(path) << source;
  }
  runtime::Module module = runtime::Module::from_source(source);
  runtime::Kernel kernel = module.get(kernel_name);
  std::vector<NDArray> rewritten = runtime::run_packs(module, build.packs, input_ptrs);  // once, untimed

  std::vector<NDArray> outputs;
  for (const auto& t : dag.outputs()) outputs.emplace_back(t->shape);
  std::vector<float*> args;
  for (auto& a : inputs) args.push_back(a.data());
  for (size_t i = 0; i < build.packs.size(); ++i) args[build.packs[i].input] = rewritten[i].data();
  for (auto& a : outputs) args.push_back(a.data());
  // Garbage first, so that a kernel that skips part of its output cannot pass.
  for (auto& a : outputs) a.fill(12345.0f);
  kernel.run(args);
  r.max_rel_error = check_outputs("bcd " + c.name, outputs, expected, o.tolerance);

  Baseline base = make_baseline(c, inst, inputs);
  r.baseline_detail = base.detail;
  base.run();
  base.quiesce();
  std::vector<NDArray> base_out;
  base_out.push_back(base.output());
  r.baseline_max_rel_error = check_outputs(c.baseline_name + " " + c.name, base_out, expected, o.tolerance);

  // Threads were set before; set again now that this case's kernel loaded libomp.
  set_threads(o.threads);
  runtime::TimingOptions block;
  block.number = 1;
  block.repeat = 1;
  block.min_repeat_ms = o.min_block_ms;
  auto ours = [&] { kernel.run(args); };
  for (int rep = 0; rep < o.repeat; ++rep) {
    // Alternate who goes first, and pause between the two so that the threads of one
    // runtime have stopped spinning before the other's run (libomp spins 200 ms).
    bool ours_first = rep % 2 == 0;
    for (int side = 0; side < 2; ++side) {
      bool is_ours = (side == 0) == ours_first;
      double t = runtime::time_function(is_ours ? std::function<void()>(ours) : base.run, block)[0];
      (is_ours ? r.ours : r.base).seconds.push_back(t);
      if (!is_ours) base.quiesce();
      pause(o.pause_ms);
    }
  }
  return r;
}

nlohmann::json timing_json(const Timing& t, double flop) {
  std::vector<double> ms;
  for (double s : t.seconds) ms.push_back(s * 1e3);
  return {{"median_ms", t.median() * 1e3}, {"gflops", flop / t.median() / 1e9}, {"repeats_ms", ms}};
}

int run(const Options& opts) {
  Options o = opts;
  if (o.threads <= 0) o.threads = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::vector<Case> all = {
      {"matmul", "dense", "m=1024,n=1024,k=1024", schedule_dense, "OpenBLAS sgemm"},
      {"conv2d_nchw", "conv2d", "n=1,c=64,h=56,w=56,o=64,kernel=3,stride=1,pad=1,layout=NCHW",
       schedule_conv2d_nchw, "oneDNN conv"},
      {"conv2d_nhwc", "conv2d", "n=1,c=64,h=56,w=56,o=64,kernel=3,stride=1,pad=1,layout=NHWC",
       schedule_conv2d_nhwc, "oneDNN conv"},
  };
  if (!o.tuned_records.empty()) {
    // The layers bench/tune_layers.sh tunes, scheduled by the best record of each.
    auto records = std::make_shared<std::vector<tuning::Record>>(tuning::load_records(o.tuned_records));
    auto best = [records](const ir::ComputeDAG& dag) {
      auto state = tuning::apply_best(dag, *records);
      if (!state) fail("no successful record of workload {} ({}) in the tuned records", dag.workload_key(),
                       dag.description());
      return *state;
    };
    for (const auto& [name, op, params, baseline] : std::vector<std::array<std::string, 4>>{
             {"r18_conv56", "conv2d", "n=1,c=64,h=56,w=56,o=64,kernel=3,stride=1,pad=1", "oneDNN conv"},
             {"r18_conv28", "conv2d", "n=1,c=128,h=28,w=28,o=128,kernel=3,stride=1,pad=1", "oneDNN conv"},
             {"r18_conv14", "conv2d", "n=1,c=256,h=14,w=14,o=256,kernel=3,stride=1,pad=1", "oneDNN conv"},
             {"r18_conv7", "conv2d", "n=1,c=512,h=7,w=7,o=512,kernel=3,stride=1,pad=1", "oneDNN conv"},
             {"bert_dense_ff1", "dense", "m=128,k=768,n=3072", "oneDNN dense"},
             {"bert_dense_ff2", "dense", "m=128,k=3072,n=768", "oneDNN dense"},
             {"bert_ff1_blas", "dense", "m=128,k=768,n=3072", "OpenBLAS sgemm"},
             {"bert_ff2_blas", "dense", "m=128,k=3072,n=768", "OpenBLAS sgemm"}})
      all.push_back({name, op, params, best, baseline});
  }
  std::vector<Case> cases;
  for (const auto& c : all)
    if (o.only.empty() || std::find(o.only.begin(), o.only.end(), c.name) != o.only.end()) cases.push_back(c);
  for (const auto& name : o.only)
    if (std::none_of(all.begin(), all.end(), [&](const Case& c) { return c.name == name; }))
      fail("--only: no case named '{}' (cases: matmul, conv2d_nchw, conv2d_nhwc; with --tuned also "
           "r18_conv56/28/14/7, bert_dense_ff1/ff2 (oneDNN), bert_ff1_blas/ff2_blas (OpenBLAS))", name);

  set_threads(o.threads);
  std::string load_before = load_average();
  fmt::print("threads {}, {} repeats of >= {} ms per side, cpu {}, load average {}\n", o.threads, o.repeat,
             o.min_block_ms, cpu_model(), load_before);
  std::vector<Result> results;
  for (const auto& c : cases) {
    fmt::print("{}: checking and timing ...\n", c.name);
    std::fflush(stdout);
    results.push_back(run_case(c, o));
  }
  auto runtimes = set_threads(o.threads);
  std::string load_after = load_average();

  fmt::print("\n{:<12} {:>9} {:>9}   {:<15} {:>9} {:>9}  {:>6}  {:<13}\n", "kernel", "bcd ms", "GFLOP/s",
             "baseline", "ms", "GFLOP/s", "ratio", "repeat range");
  bool below = false;
  for (const auto& r : results) {
    auto [lo, hi] = r.ratio_range();
    fmt::print("{:<12} {:>9.3f} {:>9.1f}   {:<15} {:>9.3f} {:>9.1f}  {:>6.3f}  {:.3f}-{:.3f}\n", r.c.name,
               r.ours.median() * 1e3, r.flop / r.ours.median() / 1e9, r.c.baseline_name,
               r.base.median() * 1e3, r.flop / r.base.median() / 1e9, r.ratio(), lo, hi);
    below = below || r.ratio() < o.min_ratio;
  }
  fmt::print("ratio = baseline time / bcd time (medians of {} repeats); load average {}\n", o.repeat, load_after);

  nlohmann::json j;
  j["threads"] = o.threads;
  j["repeat"] = o.repeat;
  j["min_block_ms"] = o.min_block_ms;
  j["cpu"] = cpu_model();
  j["openblas"] = OpenBlasDense::version();
  j["onednn"] = OnednnConv::version();
  j["kernel_compiler"] = runtime::compiler_config().compiler;
  j["kernel_flags"] = runtime::compiler_config().flags;
  j["load_average_before"] = load_before;
  j["load_average_after"] = load_after;
  for (const auto& [lib, n] : runtimes) j["threads_per_library"][lib] = n;
  for (const auto& r : results) {
    j["results"].push_back({{"name", r.c.name},
                            {"op", r.c.op},
                            {"params", r.c.params},
                            {"flop", r.flop},
                            {"bcd", timing_json(r.ours, r.flop)},
                            {"bcd_max_rel_error", r.max_rel_error},
                            {"baseline", r.c.baseline_name},
                            {"baseline_impl", r.baseline_detail},
                            {"baseline_timing", timing_json(r.base, r.flop)},
                            {"baseline_max_rel_error", r.baseline_max_rel_error},
                            {"ratio", r.ratio()},
                            {"ratio_range", {r.ratio_range().first, r.ratio_range().second}},
                            {"schedule", r.schedule}});
  }
  std::ofstream out(o.json_path);
  out << j.dump(2) << "\n";
  if (!out) fail("cannot write {}", o.json_path);
  fmt::print("wrote {}\n", o.json_path);
  if (below) fail("a ratio is below --min-ratio {}", o.min_ratio);
  return 0;
}

}  // namespace
}  // namespace bcd::bench

int main(int argc, char** argv) {
  bcd::bench::Options o;
  CLI::App app{"bcd kernel benchmark: hand schedules vs OpenBLAS and oneDNN"};
  app.add_option("--threads", o.threads, "threads for every library (default: all online cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--repeat", o.repeat, "timed repeats per side (medians are reported)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--min-repeat-ms", o.min_block_ms, "minimum duration of one repeat")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--pause-ms", o.pause_ms, "idle time between timing blocks")->check(CLI::NonNegativeNumber);
  app.add_option("--tolerance", o.tolerance, "largest accepted relative error")->check(CLI::PositiveNumber);
  app.add_option("--json", o.json_path, "where to write the results");
  app.add_option("--tuned", o.tuned_records, "records file of bench/tune_layers.sh: also time its tuned layers");
  app.add_option("--only", o.only, "run only these cases (matmul, conv2d_nchw, conv2d_nhwc)");
  app.add_flag("--show-code", o.show_code, "print our loop programs and C source");
  app.add_option("--save-code", o.save_code_dir, "write our C source to DIR/<case>.c (for reading the assembly)");
  app.add_option("--min-ratio", o.min_ratio, "exit non-zero when a ratio is below this");
  CLI11_PARSE(app, argc, argv);
  try {
    return bcd::bench::run(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
