#include "package/package_writer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "executor/network_plan.h"
#include "executor/task_kernels.h"
#include "package_runtime/package_format.h"
#include "runtime/compiler.h"
#include "runtime/module.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/version.h"

namespace bcd::package {

namespace fs = std::filesystem;

namespace {

constexpr const char* kKernelPrefix = "bcd_k";

int64_t aligned(int64_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A scratch folder beside the output (so that the finished library is renamed into
// place on one file system), removed however write_package ends.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& output) {
    fs::path parent = fs::absolute(output).parent_path();
    if (!fs::is_directory(parent)) fail("cannot write the package {}: folder {} does not exist", output, parent.string());
    path_ = parent / fmt::format(".{}.build-{}", fs::path(output).filename().string(), getpid());
    std::error_code ec;
    fs::remove_all(path_, ec);
    if (!fs::create_directory(path_, ec) || ec)
      fail("cannot create the build folder {}: {}", path_.string(), ec ? ec.message() : "it exists");
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// `text` as a C string literal (ASCII: the metadata is dumped with ensure_ascii).
std::string c_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

nlohmann::json tensor_json(const graph::Node& node) {
  return {{"name", node.name}, {"shape", node.shape}, {"dtype", "float32"}};
}

// The CPU features the kernels may use that a loader can check.
std::vector<std::string> required_cpu_features() {
  std::set<std::string> checkable(std::begin(kCheckedCpuFeatures), std::end(kCheckedCpuFeatures));
  std::vector<std::string> out;
  for (const std::string& f : runtime::host_cpu_features())
    if (checkable.count(f)) out.push_back(f);
  std::sort(out.begin(), out.end());
  return out;
}

// Everything the entry point needs to know, as it is laid out.
struct Layout {
  std::string weights;                            // the bytes, in kernel layouts
  std::map<std::pair<int, std::string>, int64_t> weight_offset;  // (node, pack function) -> offset
  std::vector<int64_t> buffer_offset;             // planned buffer -> workspace offset
  int64_t workspace_bytes = 0;
};

}  // namespace

PackageSummary write_package(const graph::Graph& graph, const std::vector<tuning::Record>& records,
                             const std::string& output, const PackageOptions& options) {
  if (options.target.kind != TargetKind::Llvm)
    fail("packages run on the CPU for now: compile with --target llvm (target {} cannot be packaged)",
         options.target.str());
  PackageSummary summary;
  if (!fs::is_directory(fs::absolute(output).parent_path()))
    fail("cannot write the package {}: folder {} does not exist", output, fs::absolute(output).parent_path().string());
  auto start = std::chrono::steady_clock::now();
  const executor::NetworkPlan plan = executor::plan_network(graph);
  executor::TaskKernels kernels = executor::build_task_kernels(
      plan.tasks.tasks, records,
      {.target = options.target, .jobs = options.jobs, .kernel_prefix = kKernelPrefix, .object_files = true},
      plan.slice_writers);
  summary.compile_seconds = since(start);
  summary.warnings = kernels.warnings;
  summary.steps = static_cast<int>(plan.steps.size());
  summary.tasks = static_cast<int>(kernels.kernels.size());
  summary.tuned_tasks = kernels.tuned_count();

  start = std::chrono::steady_clock::now();
  ScratchDir scratch(output);
  std::vector<std::string> objects;
  bool packs = false;
  for (const auto* list : {&kernels.kernels, &kernels.slice_writers})
    for (const executor::TaskKernel& k : *list) {
      objects.push_back(k.object_path);
      packs |= !k.packs.empty();
    }
  // Weights read in a rewritten layout are packed now, by the kernels' own pack
  // functions: the kernels linked alone and loaded into this process.
  std::optional<runtime::Module> packer;
  if (packs) {
    runtime::link_shared_library(objects, scratch.file("packs.so"));
    packer = runtime::Module::load(scratch.file("packs.so"));
  }

  Layout layout;
  auto weight_offset = [&](int node, const std::string& pack) -> int64_t {
    auto [it, fresh] = layout.weight_offset.try_emplace({node, pack}, 0);
    if (!fresh) return it->second;
    std::shared_ptr<const NDArray> value = graph.constant_value(node);
    std::optional<NDArray> rewritten;
    if (!pack.empty()) {
      rewritten.emplace(value->shape());
      // Packs never write their inputs.
      packer->get(pack).run(std::vector<float*>{const_cast<float*>(value->data()), rewritten->data()});
    }
    const NDArray& data = rewritten ? *rewritten : *value;
    layout.weights.resize(aligned(static_cast<int64_t>(layout.weights.size())), '\0');
    it->second = static_cast<int64_t>(layout.weights.size());
    layout.weights.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
    return it->second;
  };
  for (int64_t bytes : plan.memory.buffer_bytes) {
    layout.buffer_offset.push_back(layout.workspace_bytes);
    layout.workspace_bytes += aligned(bytes);
  }
  // A step that computes a network output writes it into the caller's buffer.
  std::map<int, int> output_of_value;
  for (size_t j = 0; j < plan.outputs.size(); ++j)
    if (plan.outputs[j].kind == executor::PlanArg::Value) output_of_value.try_emplace(plan.outputs[j].index, j);
  auto location = [&](const executor::PlanArg& a, const std::string& pack = "") -> std::string {
    switch (a.kind) {
      case executor::PlanArg::GraphInput:
        return fmt::format("(void*)in[{}]", a.index);
      case executor::PlanArg::Constant:
        return fmt::format("(void*)(w + {})", weight_offset(a.index, pack));
      case executor::PlanArg::Value:
        break;
    }
    // A value inside another (a concatenation's input, written into its slice) is
    // where that one is, further on.
    const int root = plan.memory.value_root[a.index];
    const int64_t offset = plan.memory.value_offset[a.index];
    if (auto it = output_of_value.find(root); it != output_of_value.end())
      return offset ? fmt::format("(void*)((char*)out[{}] + {})", it->second, offset)
                    : fmt::format("out[{}]", it->second);
    return fmt::format("(void*)(ws + {})", layout.buffer_offset[plan.memory.value_buffer[a.index]] + offset);
  };

  std::set<std::string> declared;  // the kernels' entries the steps call
  nlohmann::json step_tasks = nlohmann::json::array();  // per step: its task
  codegen::KernelScratch kernel_scratch;   // the most any kernel takes
  std::string body;
  size_t max_args = 1;
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const executor::PlanStep& step = plan.steps[s];
    const executor::TaskKernel& k = kernels.kernel(step.task, step.slice_writer);
    body += fmt::format("  /* step {}: {} */\n  if (clock) start = bcd_now();\n", s, k.name);
    step_tasks.push_back({{"task", k.name}, {"tuned", k.tuned}, {"record_seconds", k.record_seconds}});
    max_args = std::max(max_args, step.args.size());
    for (size_t a = 0; a < step.args.size(); ++a) {
      const executor::PlanArg& arg = step.args[a];
      auto pack = std::find_if(k.packs.begin(), k.packs.end(),
                               [&](const auto& p) { return p.input == static_cast<int>(a); });
      if (pack == k.packs.end() || a + 1 == step.args.size()) {
        body += fmt::format("  a[{}] = {};\n", a, location(arg));
      } else if (arg.kind == executor::PlanArg::Constant) {
        body += fmt::format("  a[{}] = {};\n", a, location(arg, pack->function));
      } else {
        // An activation read in a rewritten layout: packed before every call.
        const int64_t offset = layout.workspace_bytes;
        layout.workspace_bytes += aligned(shape_size(arg.shape) * static_cast<int64_t>(sizeof(float)));
        declared.insert(pack->function + "_packed(void** args)");
        body += fmt::format("  p[0] = {}; p[1] = (void*)(ws + {});\n  if ({}_packed(p)) return {};\n",
                            location(arg), offset, pack->function, s + 1);
        body += fmt::format("  a[{}] = p[1];\n", a);
      }
    }
    if (k.scratch.empty()) {
      declared.insert(k.function + "_packed(void** args)");
      body += fmt::format("  if ({}_packed(a)) return {};\n", k.function, s + 1);
    } else {
      // The kernel's heap buffers, in the scratch after the activations.
      declared.insert(k.function + "_packed_scratch(void** args, void* scratch, int slices)");
      body += fmt::format("  if ({}_packed_scratch(a, room >= {} ? scratch : 0, bcd_slices(room, {}, {}))) return {};\n",
                          k.function, k.scratch.shared_bytes, k.scratch.shared_bytes, k.scratch.per_thread_bytes,
                          s + 1);
      kernel_scratch.shared_bytes = std::max(kernel_scratch.shared_bytes, aligned(k.scratch.shared_bytes));
      kernel_scratch.per_thread_bytes = std::max(kernel_scratch.per_thread_bytes, aligned(k.scratch.per_thread_bytes));
    }
    body += fmt::format("  if (clock) clock[{}] = bcd_now() - start;\n", s);
  }
  // Outputs no step wrote in place: a graph input, a constant, or a value that is
  // also an earlier output.
  for (size_t j = 0; j < plan.outputs.size(); ++j) {
    const executor::PlanArg& o = plan.outputs[j];
    if (o.kind == executor::PlanArg::Value && output_of_value.at(o.index) == static_cast<int>(j)) continue;
    body += fmt::format("  memcpy(out[{}], {}, {});\n", j, location(o),
                        shape_size(o.shape) * static_cast<int64_t>(sizeof(float)));
  }

  nlohmann::json meta;
  meta["abi"] = kAbiVersion;
  meta["bcd_version"] = kVersion;
  meta["target"] = options.target.str();
  meta["cpu_features"] = required_cpu_features();
  meta["model"] = options.model;
  meta["model_hash"] = options.model_hash;
  meta["records_hash"] = options.records_hash;
  meta["inputs"] = nlohmann::json::array();
  for (int id : graph.inputs()) meta["inputs"].push_back(tensor_json(graph.node(id)));
  meta["outputs"] = nlohmann::json::array();
  for (int id : graph.outputs()) meta["outputs"].push_back(tensor_json(graph.node(id)));
  meta["weights_bytes"] = layout.weights.size();
  meta["weights_hash"] = fmt::format(
      "{:016x}", weights_hash(reinterpret_cast<const unsigned char*>(layout.weights.data()), layout.weights.size()));
  meta["workspace_bytes"] = layout.workspace_bytes;
  meta["scratch_bytes"] = kernel_scratch.shared_bytes;
  meta["scratch_bytes_per_thread"] = kernel_scratch.per_thread_bytes;
  meta["steps"] = summary.steps;
  meta["step_tasks"] = step_tasks;
  meta["tasks"] = summary.tasks;
  meta["tuned_tasks"] = summary.tuned_tasks;

  std::string entry = "/* Generated by bcd compile: the network's entry point (package_runtime/package_format.h). */\n"
                      "#include <stdint.h>\n#include <string.h>\n#include <time.h>\n\n"
                      "extern const unsigned char bcd_weights_begin[], bcd_weights_end[];\n";
  for (const std::string& f : declared) entry += fmt::format("int {};\n", f);
  if (kernel_scratch.per_thread_bytes > 0) entry += "int omp_get_max_threads(void);\n";
  entry += fmt::format("\nint {}(void) {{ return {}; }}\n", kAbiVersionSymbol, kAbiVersion);
  entry += fmt::format("const char* {}(void) {{\n  return {};\n}}\n", kMetadataSymbol,
                       c_string(meta.dump(-1, ' ', true)));
  entry += fmt::format(
      "const unsigned char* {}(uint64_t* size) {{\n  *size = (uint64_t)(bcd_weights_end - bcd_weights_begin);\n"
      "  return bcd_weights_begin;\n}}\n",
      kWeightsSymbol);
  // The activations, then the kernels' scratch: its shared part and a slice for
  // every thread OpenMP will run (kernel_scratch.h).
  entry += fmt::format("uint64_t {}(void) {{ return {}u + {}u", kWorkspaceSymbol, layout.workspace_bytes,
                       kernel_scratch.shared_bytes);
  if (kernel_scratch.per_thread_bytes > 0)
    entry += fmt::format(" + {}u * (uint64_t)omp_get_max_threads()", kernel_scratch.per_thread_bytes);
  entry += "; }\n\n";
  // The per-step clock of a profiled run.
  entry +=
      "static double bcd_now(void) {\n  struct timespec t;\n  clock_gettime(CLOCK_MONOTONIC, &t);\n"
      "  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;\n}\n\n";
  // How many threads have a slice in `room` bytes of scratch; threads beyond them
  // (a workspace sized before the thread count grew) allocate their own.
  if (!kernel_scratch.empty())
    entry += fmt::format(
      "static int bcd_slices(int64_t room, int64_t shared, int64_t per_thread) {{\n"
      "  if (per_thread == 0 || room < shared) return 0;\n"
      "  const int64_t n = (room - shared) / per_thread;\n"
      "  return n > {0} ? {0} : (int)n;\n}}\n\n",
      codegen::KernelScratch::kMaxSlices);
  entry += fmt::format(
      "int {}(void* workspace, uint64_t workspace_bytes, const float* const* in, float* const* out, double* clock) {{\n"
      "  char* ws = (char*)workspace;\n  const char* w = (const char*)bcd_weights_begin;\n"
      "  char* scratch = ws + {};\n  const int64_t room = (int64_t)workspace_bytes - {};\n"
      "  double start = 0;\n"
      "  void* a[{}];\n  void* p[2];\n  (void)ws; (void)w; (void)p; (void)in; (void)scratch; (void)room; (void)start;\n",
      kRunSymbol, layout.workspace_bytes, layout.workspace_bytes, max_args);
  entry += body + "  return 0;\n}\n";

  write_file(scratch.file("weights.bin"), layout.weights);
  write_file(scratch.file("weights.S"),
             fmt::format("  .section .rodata.bcd_weights,\"a\",@progbits\n  .balign {}\n"
                         "  .globl bcd_weights_begin\n  .hidden bcd_weights_begin\nbcd_weights_begin:\n"
                         "  .incbin \"{}\"\n  .globl bcd_weights_end\n  .hidden bcd_weights_end\nbcd_weights_end:\n"
                         "  .section .note.GNU-stack,\"\",@progbits\n",
                         kAlignment, scratch.file("weights.bin")));
  write_file(scratch.file("entry.c"), entry);
  std::string exports = "{\n  global:\n";
  for (const char* s : {kAbiVersionSymbol, kMetadataSymbol, kWeightsSymbol, kWorkspaceSymbol, kRunSymbol})
    exports += fmt::format("    {};\n", s);
  write_file(scratch.file("exports.map"), exports + "  local: *;\n};\n");

  // The entry point is compiled for the baseline CPU: the loader calls it before it
  // has checked that this CPU can run the kernels.
  std::vector<std::string> inputs = {scratch.file("entry.c"), scratch.file("weights.S")};
  inputs.insert(inputs.end(), objects.begin(), objects.end());
  const std::string linked = scratch.file("package.so");
  runtime::link_shared_library(inputs, linked, {"-O2", "-Wl,--version-script=" + scratch.file("exports.map")});
  std::error_code ec;
  fs::rename(linked, output, ec);
  if (ec) {  // another file system: copy, then rename there
    fs::copy_file(linked, output + ".tmp", fs::copy_options::overwrite_existing);
    fs::rename(output + ".tmp", output);
  }
  summary.weight_bytes = static_cast<int64_t>(layout.weights.size());
  summary.workspace_bytes = layout.workspace_bytes;
  summary.scratch = kernel_scratch;
  summary.file_bytes = static_cast<int64_t>(fs::file_size(output));
  summary.link_seconds = since(start);
  return summary;
}

}  // namespace bcd::package
