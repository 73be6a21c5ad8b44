// The flags `tune` and `tune-op` share, mapped onto api::TuneConfig under one name
// each. Old spellings keep working for one release, with a deprecation line.
#pragma once
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "api/tune_config.h"

namespace bcd::cli {

class TuneFlags {
 public:
  // Adds the shared flags of a tuning command to `cmd`, writing into `config`.
  TuneFlags(CLI::App* cmd, api::TuneConfig& config);

  // An old spelling of an option: hidden from --help, the same effect.
  template <typename T>
  void add_deprecated(const std::string& old_name, const std::string& new_name, T& variable) {
    CLI::Option* option = cmd_->add_option(old_name, variable)->group("");
    deprecated_.push_back({option, old_name, new_name});
  }

  // After parsing: applies what needs it (the search space) and prints a
  // deprecation line for every old spelling used.
  void finish(api::TuneConfig& config) const;

  bool verbose = false;

 private:
  struct Deprecated {
    CLI::Option* option;
    std::string old_name, new_name;
  };
  CLI::App* cmd_;
  std::string search_space_ = "bcd";
  std::vector<Deprecated> deprecated_;
};

}  // namespace bcd::cli
