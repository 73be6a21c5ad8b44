#include "runtime/module.h"

#include <dlfcn.h>

#include "runtime/compiler.h"
#include "support/error.h"

namespace bcd::runtime {

void Kernel::run(const std::vector<float*>& args) const {
  BCD_CHECK(fn_, "running an empty kernel handle");
  std::vector<void*> packed(args.begin(), args.end());
  if (fn_(packed.data()) != 0) fail("kernel {} reported an error", name_);
}

void Kernel::run(const std::vector<float*>& args, void* scratch, int slices) const {
  if (!scratch_fn_) return run(args);
  std::vector<void*> packed(args.begin(), args.end());
  if (scratch_fn_(packed.data(), scratch, slices) != 0) fail("kernel {} reported an error", name_);
}

void Kernel::run(const std::vector<NDArray*>& args) const {
  std::vector<float*> raw;
  for (auto* a : args) raw.push_back(a->data());
  run(raw);
}

Module Module::load(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) fail("cannot load kernel library {}: {}", path, dlerror());
  Module m;
  m.library_ = std::shared_ptr<void>(handle, [](void* h) { dlclose(h); });
  m.path_ = path;
  return m;
}

Module Module::from_source(const std::string& source) {
  return load(compile_shared_object(source));
}

Kernel Module::get(const std::string& kernel_name) const {
  std::string symbol = kernel_name + "_packed";
  void* fn = dlsym(library_.get(), symbol.c_str());
  if (!fn) fail("kernel library {} has no kernel {}", path_, kernel_name);
  void* scratch_fn = dlsym(library_.get(), (kernel_name + "_packed_scratch").c_str());
  return Kernel(library_, reinterpret_cast<PackedKernelFn>(fn), kernel_name,
                reinterpret_cast<ScratchKernelFn>(scratch_fn));
}

std::vector<NDArray> run_packs(const Module& module, const std::vector<InputPack>& packs,
                               const std::vector<const NDArray*>& inputs) {
  std::vector<NDArray> out;
  for (const InputPack& p : packs) {
    BCD_CHECK(p.input >= 0 && p.input < static_cast<int>(inputs.size()), "pack {} of input {} of {}", p.function,
              p.input, inputs.size());
    const NDArray& original = *inputs[p.input];
    NDArray& packed = out.emplace_back(original.shape());
    // Packs never write their inputs.
    module.get(p.function).run(std::vector<float*>{const_cast<float*>(original.data()), packed.data()});
  }
  return out;
}

}  // namespace bcd::runtime
