// A loaded shared object of compiled kernels, and a handle to one kernel in it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "support/ndarray.h"

namespace bcd::runtime {

using PackedKernelFn = int (*)(void**);
// <name>_packed_scratch(args, scratch, slices): the same kernel with its heap
// buffers in `scratch` (codegen/kernel_scratch.h).
using ScratchKernelFn = int (*)(void**, void*, int);

// A kernel input whose layout was rewritten (lower/layout_rewrite.h): `function`,
// in the kernel's library, makes the kernel's array from the original one (same
// number of elements).
struct InputPack {
  int input = 0;
  std::string function;
};

class Kernel {
 public:
  Kernel() = default;
  Kernel(std::shared_ptr<void> library, PackedKernelFn fn, std::string name, ScratchKernelFn scratch_fn = nullptr)
      : library_(std::move(library)), fn_(fn), scratch_fn_(scratch_fn), name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  // Arguments in the kernel's parameter order (inputs then outputs). The kernel
  // allocates its heap buffers itself.
  void run(const std::vector<float*>& args) const;
  void run(const std::vector<NDArray*>& args) const;
  // Does the kernel have heap buffers a caller can give it room for?
  bool takes_scratch() const { return scratch_fn_ != nullptr; }
  // Heap buffers in `scratch`, which holds the kernel's KernelScratch for `slices`
  // threads (threads beyond them allocate their own; null: all do).
  void run(const std::vector<float*>& args, void* scratch, int slices) const;

 private:
  std::shared_ptr<void> library_;  // keeps the shared object loaded
  PackedKernelFn fn_ = nullptr;
  ScratchKernelFn scratch_fn_ = nullptr;
  std::string name_;
};

class Module {
 public:
  static Module load(const std::string& path);
  // Compiles C source (cached) and loads it.
  static Module from_source(const std::string& source);
  // Fails naming the kernel if the module does not export it.
  Kernel get(const std::string& kernel_name) const;

 private:
  std::shared_ptr<void> library_;
  std::string path_;
};

// The arrays a layout-rewritten kernel reads: each pack run on its original input
// (inputs[pack.input]), in the order of `packs`.
std::vector<NDArray> run_packs(const Module& module, const std::vector<InputPack>& packs,
                               const std::vector<const NDArray*>& inputs);

}  // namespace bcd::runtime
