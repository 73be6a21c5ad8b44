// The C ABI of include/bcd/runtime.h: loading a package written by `bcd compile`
// (its contract: package_format.h) and running it on caller-owned buffers. Every
// entry point catches everything: an error is a status and a thread-local message,
// never an exception or an abort across the ABI. Uses only the C and C++ standard
// libraries, dlopen and (header-only) nlohmann-json, so that an application links
// this one small library and the package.
#include "bcd/runtime.h"

#include <dlfcn.h>
#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "package_runtime/package_format.h"

namespace {

namespace pkg = bcd::package;

thread_local std::string last_error;

struct LoadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  int64_t size = 1;
};

std::string hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// A file shorter than its ELF headers say would map, then fault (SIGBUS) on the
// first read past its end: refused before dlopen.
void check_elf_extent(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw LoadError("cannot open package '" + path + "'");
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  Elf64_Ehdr eh{};
  if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    throw LoadError("'" + path + "' is not a bcd package (not a shared library)");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
    throw LoadError("'" + path + "' is not a bcd package for this machine (not a 64-bit shared library)");
  uint64_t needed = std::max<uint64_t>(eh.e_phoff + uint64_t{eh.e_phnum} * eh.e_phentsize,
                                       eh.e_shoff + uint64_t{eh.e_shnum} * eh.e_shentsize);
  in.seekg(static_cast<std::streamoff>(eh.e_phoff));
  for (int i = 0; i < eh.e_phnum && in; ++i) {
    Elf64_Phdr ph{};
    if (in.read(reinterpret_cast<char*>(&ph), sizeof ph)) needed = std::max(needed, ph.p_offset + ph.p_filesz);
  }
  if (!in || needed > file_size)
    throw LoadError("package '" + path + "' is truncated (" + std::to_string(file_size) + " bytes, its headers need " +
                    std::to_string(needed) + ")");
}

// BCD_RUNTIME_HIDE_CPU_FEATURES="avx512f,fma" makes the loader act as if this CPU
// lacked those features: how the tests see a refusal without another machine.
bool hidden_feature(const std::string& feature) {
  const char* hidden = std::getenv("BCD_RUNTIME_HIDE_CPU_FEATURES");
  if (!hidden) return false;
  std::stringstream list(hidden);
  for (std::string f; std::getline(list, f, ',');)
    if (f == feature) return true;
  return false;
}

// Whether this CPU has `feature` (one of pkg::kCheckedCpuFeatures); true for names
// the loader cannot test.
bool cpu_has(const std::string& f) {
  if (hidden_feature(f)) return false;
  __builtin_cpu_init();
#define BCD_FEATURE(name) \
  if (f == name) return __builtin_cpu_supports(name);
  BCD_FEATURE("sse3") BCD_FEATURE("ssse3") BCD_FEATURE("sse4.1") BCD_FEATURE("sse4.2") BCD_FEATURE("popcnt")
  BCD_FEATURE("aes") BCD_FEATURE("pclmul") BCD_FEATURE("avx") BCD_FEATURE("avx2") BCD_FEATURE("fma")
  BCD_FEATURE("bmi") BCD_FEATURE("bmi2") BCD_FEATURE("avx512f") BCD_FEATURE("avx512cd") BCD_FEATURE("avx512vl")
  BCD_FEATURE("avx512bw") BCD_FEATURE("avx512dq") BCD_FEATURE("avx512ifma") BCD_FEATURE("avx512vbmi")
  BCD_FEATURE("avx512vbmi2") BCD_FEATURE("avx512vnni") BCD_FEATURE("avx512bitalg") BCD_FEATURE("avx512vpopcntdq")
  BCD_FEATURE("avx512bf16") BCD_FEATURE("avx512fp16") BCD_FEATURE("gfni") BCD_FEATURE("vpclmulqdq")
#undef BCD_FEATURE
  return true;
}

// Weights are checked once per loaded library, however many instances share them:
// instances are counted per dlopen handle (a handle's address may be reused once
// the library is unloaded, by another package).
std::mutex instances_mutex;
std::map<void*, int> instances;

// Counts a new instance of `library` when its weights are intact; checks them
// (under the lock, so that a concurrent load waits for the verdict) for the first.
bool count_instance(void* library, const unsigned char* weights, uint64_t size, const std::string& hash) {
  std::lock_guard lock(instances_mutex);
  int& n = instances[library];
  if (n == 0 && hex16(pkg::weights_hash(weights, size)) != hash) {
    instances.erase(library);
    return false;
  }
  ++n;
  return true;
}

void forget_instance(void* library) {
  std::lock_guard lock(instances_mutex);
  if (auto it = instances.find(library); it != instances.end() && --it->second <= 0) instances.erase(it);
}

std::vector<Tensor> tensors(const nlohmann::json& list) {
  std::vector<Tensor> out;
  for (const auto& t : list) {
    Tensor& x = out.emplace_back();
    x.name = t.at("name").get<std::string>();
    x.shape = t.at("shape").get<std::vector<int64_t>>();
    if (t.at("dtype").get<std::string>() != "float32" || x.shape.size() > BCD_MAX_DIMS)
      throw LoadError("tensor '" + x.name + "' has a dtype or rank this runtime does not support");
    for (int64_t d : x.shape) x.size *= d;
  }
  return out;
}

template <typename Fn>
Fn symbol(void* library, const char* name, const std::string& path) {
  void* s = dlsym(library, name);
  if (!s) throw LoadError("'" + path + "' is not a complete bcd package (no " + name + ")");
  return reinterpret_cast<Fn>(s);
}

bcd_status fail(bcd_status status, const std::string& message) {
  last_error = message;
  return status;
}

}  // namespace

struct bcd_model {
  void* library = nullptr;
  pkg::RunFn run = nullptr;
  std::string metadata;
  std::vector<Tensor> inputs, outputs;
  int steps = 0;
  void* workspace = nullptr;
  uint64_t workspace_bytes = 0;

  bool counted = false;  // in `instances`

  ~bcd_model() {
    std::free(workspace);
    if (counted) forget_instance(library);
    if (library) dlclose(library);
  }
};

namespace {

void load(const std::string& path, bcd_model& m) {
  check_elf_extent(path);
  // A name without a slash would be looked up on the library path, not here.
  const std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  m.library = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m.library) {
    const char* why = dlerror();
    throw LoadError("cannot load package '" + path + "': " + (why ? why : "unknown error"));
  }
  void* abi = dlsym(m.library, pkg::kAbiVersionSymbol);
  if (!abi) throw LoadError("'" + path + "' is not a bcd package (no " + pkg::kAbiVersionSymbol + ")");
  const int version = reinterpret_cast<pkg::AbiVersionFn>(abi)();
  if (version != pkg::kAbiVersion)
    throw LoadError("'" + path + "' is a package of ABI version " + std::to_string(version) +
                    "; this runtime reads version " + std::to_string(pkg::kAbiVersion) +
                    " (compile the model again with this bcd)");
  m.metadata = symbol<pkg::MetadataFn>(m.library, pkg::kMetadataSymbol, path)();
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(m.metadata);
    for (const auto& f : meta.at("cpu_features"))
      if (!cpu_has(f.get<std::string>()))
        throw LoadError("'" + path + "' was compiled for a CPU with " + f.get<std::string>() +
                        ", which this CPU lacks (compile the model on this machine, or for its CPU)");
    m.inputs = tensors(meta.at("inputs"));
    m.outputs = tensors(meta.at("outputs"));
    m.steps = meta.at("steps").get<int>();
    uint64_t size = 0;
    const unsigned char* weights = symbol<pkg::WeightsFn>(m.library, pkg::kWeightsSymbol, path)(&size);
    if (size != meta.at("weights_bytes").get<uint64_t>() ||
        !count_instance(m.library, weights, size, meta.at("weights_hash").get<std::string>()))
      throw LoadError("the weights in '" + path + "' do not match their hash (the package is corrupt)");
    m.counted = true;
  } catch (const nlohmann::json::exception& e) {
    throw LoadError("'" + path + "' has unreadable metadata: " + e.what());
  }
  const uint64_t bytes = symbol<pkg::WorkspaceFn>(m.library, pkg::kWorkspaceSymbol, path)();
  m.run = symbol<pkg::RunFn>(m.library, pkg::kRunSymbol, path);
  if (bytes > 0) {
    const uint64_t rounded = (bytes + pkg::kAlignment - 1) / pkg::kAlignment * pkg::kAlignment;
    m.workspace = std::aligned_alloc(pkg::kAlignment, rounded);
    m.workspace_bytes = rounded;
    if (!m.workspace) throw std::bad_alloc();
  }
}

bcd_status tensor_info(const bcd_model* model, int index, bcd_tensor_info* info, bool input) {
  if (!model || !info) return fail(BCD_ERROR_INVALID_ARGUMENT, "null model or info");
  const std::vector<Tensor>& list = input ? model->inputs : model->outputs;
  if (index < 0 || index >= static_cast<int>(list.size()))
    return fail(BCD_ERROR_INVALID_ARGUMENT, std::string(input ? "input" : "output") + " index " +
                                                std::to_string(index) + " out of range (the model has " +
                                                std::to_string(list.size()) + ")");
  const Tensor& t = list[index];
  info->name = t.name.c_str();
  info->dtype = "float32";
  info->ndim = static_cast<int>(t.shape.size());
  std::fill(std::begin(info->shape), std::end(info->shape), 0);
  std::copy(t.shape.begin(), t.shape.end(), info->shape);
  info->size = t.size;
  return BCD_OK;
}

}  // namespace

extern "C" {

bcd_status bcd_model_load(const char* path, bcd_model** model) {
  if (!path || !model) return fail(BCD_ERROR_INVALID_ARGUMENT, "bcd_model_load: null path or model pointer");
  *model = nullptr;
  try {
    auto m = std::make_unique<bcd_model>();
    load(path, *m);
    *model = m.release();
    return BCD_OK;
  } catch (const LoadError& e) {
    return fail(BCD_ERROR_LOAD, e.what());
  } catch (const std::bad_alloc&) {
    return fail(BCD_ERROR_OUT_OF_MEMORY, std::string("out of memory loading '") + path + "'");
  } catch (const std::exception& e) {
    return fail(BCD_ERROR_LOAD, std::string("cannot load '") + path + "': " + e.what());
  }
}

void bcd_model_free(bcd_model* model) { delete model; }

int bcd_model_num_inputs(const bcd_model* model) { return model ? static_cast<int>(model->inputs.size()) : -1; }
int bcd_model_num_outputs(const bcd_model* model) { return model ? static_cast<int>(model->outputs.size()) : -1; }

bcd_status bcd_model_input(const bcd_model* model, int index, bcd_tensor_info* info) {
  return tensor_info(model, index, info, true);
}
bcd_status bcd_model_output(const bcd_model* model, int index, bcd_tensor_info* info) {
  return tensor_info(model, index, info, false);
}

const char* bcd_model_metadata(const bcd_model* model) { return model ? model->metadata.c_str() : ""; }

bcd_status bcd_model_run(bcd_model* model, const float* const* inputs, float* const* outputs) {
  return bcd_model_run_profiled(model, inputs, outputs, nullptr);
}

int bcd_model_num_steps(const bcd_model* model) { return model ? model->steps : -1; }

bcd_status bcd_model_run_profiled(bcd_model* model, const float* const* inputs, float* const* outputs,
                                  double* step_seconds) {
  if (!model) return fail(BCD_ERROR_INVALID_ARGUMENT, "bcd_model_run: null model");
  if ((!inputs && !model->inputs.empty()) || (!outputs && !model->outputs.empty()))
    return fail(BCD_ERROR_INVALID_ARGUMENT, "bcd_model_run: null input or output array");
  for (size_t i = 0; i < model->inputs.size(); ++i)
    if (!inputs[i]) return fail(BCD_ERROR_INVALID_ARGUMENT, "bcd_model_run: input '" + model->inputs[i].name + "' is null");
  for (size_t i = 0; i < model->outputs.size(); ++i)
    if (!outputs[i])
      return fail(BCD_ERROR_INVALID_ARGUMENT, "bcd_model_run: output '" + model->outputs[i].name + "' is null");
  const int rc = model->run(model->workspace, model->workspace_bytes, inputs, outputs, step_seconds);
  if (rc != 0) return fail(BCD_ERROR_RUN, "step " + std::to_string(rc - 1) + " of the network failed");
  return BCD_OK;
}

const char* bcd_last_error(void) { return last_error.c_str(); }

}  // extern "C"
