#include "runtime/cuda_compiler.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "runtime/compiler.h"
#include "support/error.h"

#ifdef BCD_HAVE_CUDA
#include <nvrtc.h>
#endif

namespace bcd::runtime {

#ifdef BCD_HAVE_CUDA

namespace {

void check_nvrtc(nvrtcResult result, const char* what) {
  if (result != NVRTC_SUCCESS) fail("NVRTC {} failed: {}", what, nvrtcGetErrorString(result));
}

// NVRTC's log holds warnings and notes too; the first line that says "error" is
// the one that names the problem.
std::string first_error_line(const std::string& log) {
  std::istringstream in(log);
  std::string line, first;
  while (std::getline(in, line)) {
    if (first.empty() && !line.empty()) first = line;
    if (line.find("error") != std::string::npos) return line;
  }
  return first.empty() ? "no output" : first;
}

// Owns one nvrtcProgram so that every exit path destroys it.
struct Program {
  nvrtcProgram handle = nullptr;
  ~Program() {
    if (handle) nvrtcDestroyProgram(&handle);
  }
};

std::string nvrtc_version() {
  int major = 0, minor = 0;
  check_nvrtc(nvrtcVersion(&major, &minor), "version query");
  return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace

bool nvrtc_available() { return true; }

std::string compile_cuda(const std::string& source, const std::string& arch) {
  bool to_cubin = arch.rfind("sm_", 0) == 0;
  if (!to_cubin && arch.rfind("compute_", 0) != 0)
    fail("unknown CUDA architecture '{}' (expected compute_XX for PTX or sm_XX for a cubin)",
         arch);
  // No fast math: outputs are compared to a float reference. Contraction into FMA
  // (NVRTC's default) only makes results more accurate.
  std::vector<std::string> options = {"--gpu-architecture=" + arch, "-std=c++17"};
  static const std::string version = nvrtc_version();
  std::string signature = "nvrtc " + version;
  for (const auto& o : options) signature += " " + o;
  const char* extension = to_cubin ? ".cubin" : ".ptx";

  return cached_artifact(signature + "\n" + source, extension, [&](const std::string& tmp_base) {
    Program program;
    check_nvrtc(nvrtcCreateProgram(&program.handle, source.c_str(), "bcd_kernels.cu", 0,
                                   nullptr, nullptr),
                "program creation");
    std::vector<const char*> option_ptrs;
    for (const auto& o : options) option_ptrs.push_back(o.c_str());
    nvrtcResult compiled = nvrtcCompileProgram(program.handle,
                                               static_cast<int>(option_ptrs.size()),
                                               option_ptrs.data());
    if (compiled != NVRTC_SUCCESS) {
      size_t log_size = 0;
      std::string log;
      if (nvrtcGetProgramLogSize(program.handle, &log_size) == NVRTC_SUCCESS && log_size > 1) {
        log.resize(log_size);
        nvrtcGetProgramLog(program.handle, log.data());
        log.resize(log_size - 1);  // the terminating NUL
      }
      fail("CUDA kernel compilation failed ({}): {}", nvrtcGetErrorString(compiled),
           first_error_line(log));
    }
    std::string code;
    size_t code_size = 0;
    if (to_cubin) {
      check_nvrtc(nvrtcGetCUBINSize(program.handle, &code_size), "cubin size query");
      code.resize(code_size);
      check_nvrtc(nvrtcGetCUBIN(program.handle, code.data()), "cubin retrieval");
    } else {
      check_nvrtc(nvrtcGetPTXSize(program.handle, &code_size), "PTX size query");
      code.resize(code_size);
      check_nvrtc(nvrtcGetPTX(program.handle, code.data()), "PTX retrieval");
      // The PTX size counts its terminating NUL; the file holds the text only.
      if (!code.empty() && code.back() == '\0') code.pop_back();
    }
    std::string path = tmp_base + extension;
    std::ofstream out(path, std::ios::binary);
    out.write(code.data(), static_cast<std::streamsize>(code.size()));
    if (!out) fail("cannot write compiled CUDA kernels to {}", path);
  });
}

#else  // built without the CUDA toolkit

bool nvrtc_available() { return false; }

std::string compile_cuda(const std::string&, const std::string& arch) {
  fail("cannot compile CUDA kernels for {}: bcd was built without the CUDA toolkit "
       "(reconfigure with the toolkit installed, e.g. at /usr/local/cuda)",
       arch);
}

#endif

}  // namespace bcd::runtime
