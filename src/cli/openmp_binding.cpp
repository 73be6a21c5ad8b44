#include "cli/openmp_binding.h"

#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>

// `bcd` holds two OpenMP runtimes: GNU's, which XGBoost links, and LLVM's, which the
// generated kernels link. GNU's reads the binding variables in its constructor,
// before main(), and binds the main thread to its first place; LLVM's starts later,
// sees a one-CPU affinity mask and runs every kernel on one thread, and every child
// (bcd-worker's measurements) inherits that mask: `OMP_PROC_BIND=true bcd run` ran
// squeezenet_v1.1 at one thread's speed. The variables are meant for the kernels,
// so they are hidden from GNU's runtime until main() puts them back.

namespace {

constexpr const char* kBindingVariables[] = {"OMP_PROC_BIND", "OMP_PLACES", "GOMP_CPU_AFFINITY"};
constexpr const char* kHiddenPrefix = "BCD_HIDDEN_";

// Renamed copies of the variables' entries, which the environment points to until
// main(); an entry too long for its slot is left as it is.
char hidden_entries[std::size(kBindingVariables)][512];

// Runs before any shared library's constructor (an executable's .preinit_array),
// before the C library has even set up `environ`: it edits the environment block
// it is given, pointing each binding variable's entry at a renamed copy.
void hide_binding_variables(int, char**, char** envp) {
  for (char** entry = envp; envp && *entry; ++entry) {
    for (size_t v = 0; v < std::size(kBindingVariables); ++v) {
      const size_t length = std::strlen(kBindingVariables[v]);
      if (std::strncmp(*entry, kBindingVariables[v], length) != 0 || (*entry)[length] != '=') continue;
      const size_t prefix = std::strlen(kHiddenPrefix), size = std::strlen(*entry) + 1;
      if (prefix + size > sizeof hidden_entries[v]) continue;
      std::memcpy(hidden_entries[v], kHiddenPrefix, prefix);
      std::memcpy(hidden_entries[v] + prefix, *entry, size);
      *entry = hidden_entries[v];
    }
  }
}

[[gnu::section(".preinit_array"), gnu::used]] void (*const hide_before_constructors)(int, char**, char**) =
    &hide_binding_variables;

}  // namespace

namespace bcd::cli {

void restore_openmp_binding() {
  for (const char* name : kBindingVariables) {
    const std::string hidden = std::string(kHiddenPrefix) + name;
    const char* value = std::getenv(hidden.c_str());
    if (!value) continue;
    setenv(name, value, 1);
    unsetenv(hidden.c_str());
  }
}

}  // namespace bcd::cli
