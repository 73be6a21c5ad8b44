#include "cli/tensor_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "support/error.h"
#include "support/npy.h"
#include "support/npz.h"

namespace bcd::cli {

namespace {

bool is_npz(const std::string& file) { return file.size() > 4 && file.ends_with(".npz"); }

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// "NAME=FILE" or, where there is one tensor (or the file is one .npz for all),
// "FILE": the file for each of `names`, empty where none is given. Fails on an
// unknown name, a name given twice, or a bare FILE where there are several.
std::vector<std::string> files_by_name(const std::vector<std::string>& specs, const std::vector<std::string>& names,
                                       const char* flag, const char* what) {
  std::vector<std::string> files(names.size());
  if (specs.size() == 1 && is_npz(specs[0]) && specs[0].find('=') == std::string::npos) {
    files.assign(names.size(), specs[0]);
    return files;
  }
  for (const std::string& spec : specs) {
    size_t k = names.size();
    std::string file = spec;
    for (size_t i = 0; i < names.size(); ++i)
      if (spec.rfind(names[i] + "=", 0) == 0) k = i, file = spec.substr(names[i].size() + 1);
    if (k == names.size()) {
      if (names.size() != 1 || (spec.find('=') != std::string::npos && !std::filesystem::exists(spec)))
        fail("{} '{}': name one of the network's {}s as NAME=FILE, or give one .npz for all ({}s: {})", flag, spec,
             what, what, joined(names));
      k = 0;
    }
    if (is_npz(file)) fail("{} '{}': a .npz file holds every {} by name; give it alone", flag, spec, what);
    if (!files[k].empty()) fail("{} gives {} '{}' twice", flag, what, names[k]);
    files[k] = file;
  }
  return files;
}

}  // namespace

std::vector<NDArray> read_inputs(const std::vector<std::string>& specs, const std::vector<TensorSpec>& wanted,
                                 uint64_t seed) {
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  for (const TensorSpec& t : wanted) names.push_back(t.name), shapes.push_back(t.shape);
  if (specs.empty()) return random_arrays(shapes, seed);
  const std::vector<std::string> files = files_by_name(specs, names, "--input", "input");
  std::vector<NDArray> inputs(wanted.size());
  if (!files.empty() && is_npz(files[0])) {
    std::vector<char> found(wanted.size(), 0);
    for (auto& [name, array] : read_npz(files[0])) {
      auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end()) fail("--input {} holds '{}', which is not an input (inputs: {})", files[0], name, joined(names));
      inputs[it - names.begin()] = std::move(array);
      found[it - names.begin()] = 1;
    }
    for (size_t i = 0; i < names.size(); ++i)
      if (!found[i]) fail("--input {} has no array named '{}' (inputs: {})", files[0], names[i], joined(names));
  } else {
    for (size_t i = 0; i < names.size(); ++i) {
      if (files[i].empty()) fail("--input gives no file for input '{}' (inputs: every one or none)", names[i]);
      inputs[i] = read_npy(files[i]);
    }
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (inputs[i].shape() != shapes[i])
      fail("--input {}: input '{}' has shape {}, the file holds {}", files[i], names[i], shape_string(shapes[i]),
           shape_string(inputs[i].shape()));
  return inputs;
}

std::vector<std::string> output_files(const std::vector<std::string>& specs, const std::vector<std::string>& names) {
  return files_by_name(specs, names, "--output", "output");
}

void write_outputs(const std::vector<std::string>& files, const std::vector<std::string>& names,
                   const std::vector<NDArray>& outputs) {
  if (!files.empty() && is_npz(files[0])) {
    write_npz(files[0], names, outputs);
    fmt::print("output       {} outputs ({}) -> {}\n", names.size(), joined(names), files[0]);
    return;
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    if (!files[i].empty()) {
      write_npy(files[i], outputs[i]);
      fmt::print("output       {} {} -> {}\n", names[i], shape_string(outputs[i].shape()), files[i]);
    }
}

}  // namespace bcd::cli
