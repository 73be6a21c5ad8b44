// How `bcd tune` and `bcd tune-op` show a tuning run: observers of the library's
// run (api::TuneObserver) that print to stdout, warnings to stderr.
#pragma once
#include "api/tune_observer.h"

namespace bcd::cli {

// A network: a round line per round, the task table when the first complete
// estimate exists (and with verbose every 20 rounds), per-phase times with verbose.
class NetworkPrinter : public api::TuneObserver {
 public:
  explicit NetworkPrinter(bool verbose) : verbose_(verbose) {}
  void on_start(const api::TuneStart& s) override;
  void on_round(const tuning::TaskScheduler& scheduler, const tuning::SchedulerRound& r) override;
  void on_message(const std::string& line) override;
  void on_warning(const std::string& line) override;
  void on_finish(const tuning::TaskScheduler& scheduler, const api::TuneResult& r) override;

 private:
  bool verbose_;
  int budget_ = 0;
  bool table_shown_ = false;
  std::string model_flags_;
};

// One operator: a table row per round (trials, best latency and rate, errors).
class OperatorPrinter : public api::TuneObserver {
 public:
  explicit OperatorPrinter(bool verbose) : verbose_(verbose) {}
  void on_start(const api::TuneStart& s) override;
  void on_round(const tuning::TaskScheduler& scheduler, const tuning::SchedulerRound& r) override;
  void on_message(const std::string& line) override;
  void on_warning(const std::string& line) override;
  void on_finish(const tuning::TaskScheduler& scheduler, const api::TuneResult& r) override;

 private:
  bool verbose_;
  int resumed_ = 0;
};

}  // namespace bcd::cli
