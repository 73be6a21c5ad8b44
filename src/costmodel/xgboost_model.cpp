// The learned cost model: gradient-boosted trees through XGBoost's C API with
// Ansor's pack-sum objective (python/tvm/auto_scheduler/cost_model/xgb_model.py).
//
// A program is a "pack" of feature rows, one per store; its score is the sum of
// its rows' tree outputs. XGBoost has no notion of packs, so the objective is ours:
// before every boosting round we predict all training rows, sum them per pack,
// and hand XGBoost per-row gradients of the weighted squared error of the pack
// sums, (sum - label) * weight, with hessian = weight (every row of a pack moves
// its sum one for one). Unlike Ansor, which retrains from scratch with early
// stopping after every measurement batch, each update() continues boosting the
// same booster for a fixed number of rounds: BCD's fine-tuning needs a model that
// keeps what it learnt on the prior tasks.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "costmodel/cost_model.h"
#include "costmodel/features.h"
#include "support/error.h"

#if __has_include(<xgboost/c_api.h>)
#include <xgboost/c_api.h>
#define BCD_HAVE_XGBOOST 1
#else
#define BCD_HAVE_XGBOOST 0
#endif

namespace bcd::costmodel {

#if BCD_HAVE_XGBOOST

namespace {

constexpr char kMagic[8] = {'B', 'C', 'D', 'X', 'G', 'B', '0', '1'};

void check(int rc, const char* what) {
  if (rc != 0) fail("xgboost: {} failed: {}", what, XGBGetLastError());
}

// Owns an XGBoost DMatrix handle.
class DMatrix {
 public:
  DMatrix(const std::vector<float>& data, size_t rows, size_t cols) {
    check(XGDMatrixCreateFromMat(data.data(), rows, cols, std::nanf(""), &handle_), "creating a DMatrix");
  }
  ~DMatrix() { XGDMatrixFree(handle_); }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrixHandle get() const { return handle_; }
  void set(const char* field, const std::vector<float>& values) {
    check(XGDMatrixSetFloatInfo(handle_, field, values.data(), values.size()), "setting DMatrix info");
  }

 private:
  DMatrixHandle handle_ = nullptr;
};

// Binary I/O of plain values for the model file (host byte order: the file is a
// checkpoint of this machine's run, not an interchange format).
template <typename T>
void put(std::ostream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
T get(std::istream& in, const std::string& path) {
  T v{};
  in.read(reinterpret_cast<char*>(&v), sizeof(T));
  if (!in) fail("cost model file '{}' is truncated", path);
  return v;
}

class XGBoostModel final : public CostModel {
 public:
  explicit XGBoostModel(const XGBoostOptions& options) : options_(options), rng_(options.seed) {}
  ~XGBoostModel() override {
    if (booster_) XGBoosterFree(booster_);
  }

  void update(const std::vector<TrainingSample>& samples) override {
    const size_t width = static_cast<size_t>(num_features());
    for (const auto& s : samples) {
      // A program without rows has nothing for the trees to split on.
      if (s.features.rows.empty()) continue;
      auto [it, added] = task_ids_.emplace(s.task, static_cast<int>(task_ids_.size()));
      for (const auto& row : s.features.rows) {
        if (row.size() != width)
          fail("cost model: a feature row has {} columns, expected {}", row.size(), width);
        data_.insert(data_.end(), row.begin(), row.end());
      }
      row_end_.push_back(data_.size() / width);
      task_.push_back(it->second);
      throughput_.push_back(std::isfinite(s.throughput) && s.throughput > 0 ? s.throughput : 0.0);
    }
    if (task_.empty() || options_.rounds_per_update <= 0) return;

    // Labels: throughput over the best of the same task, so tasks of very
    // different FLOP counts share one scale.
    std::vector<double> best(task_ids_.size(), 0.0);
    for (size_t p = 0; p < task_.size(); ++p) best[task_[p]] = std::max(best[task_[p]], throughput_[p]);
    size_t rows = row_end_.back();
    std::vector<float> label(rows), weight(rows);
    std::vector<double> pack_label(task_.size()), pack_weight(task_.size());
    for (size_t p = 0; p < task_.size(); ++p) {
      double y = best[task_[p]] > 0 ? throughput_[p] / best[task_[p]] : 0.0;
      pack_label[p] = y;
      pack_weight[p] = std::max(y, options_.min_weight);
      for (size_t r = row_begin(p); r < row_end_[p]; ++r) {
        label[r] = static_cast<float>(y);
        weight[r] = static_cast<float>(pack_weight[p]);
      }
    }
    DMatrix train(data_, rows, width);
    train.set("label", label);
    train.set("weight", weight);
    if (!booster_) {
      DMatrixHandle h = train.get();
      check(XGBoosterCreate(&h, 1, &booster_), "creating the booster");
      configure();
    }

    std::vector<float> grad(rows), hess(rows);
    for (int round = 0; round < options_.rounds_per_update; ++round) {
      bst_ulong n = 0;
      const float* pred = nullptr;
      check(XGBoosterPredict(booster_, train.get(), /*margin*/ 1, 0, /*training*/ 1, &n, &pred),
            "predicting the training set");
      BCD_CHECK(n == rows, "xgboost predicted {} rows of {}", n, rows);
      for (size_t p = 0; p < task_.size(); ++p) {
        double sum = 0;
        for (size_t r = row_begin(p); r < row_end_[p]; ++r) sum += pred[r];
        float g = static_cast<float>((sum - pack_label[p]) * pack_weight[p]);
        float h = static_cast<float>(pack_weight[p]);
        for (size_t r = row_begin(p); r < row_end_[p]; ++r) {
          grad[r] = g;
          hess[r] = h;
        }
      }
      check(XGBoosterBoostOneIter(booster_, train.get(), grad.data(), hess.data(), rows),
            "boosting one round");
      ++rounds_;
    }
  }

  std::vector<double> predict(const std::vector<ProgramFeatures>& programs) override {
    std::vector<double> scores(programs.size(), kInvalidScore);
    if (!booster_) {
      // Untrained: random scores let the search explore instead of tying.
      std::uniform_real_distribution<double> uniform(0.0, 1.0);
      for (size_t p = 0; p < programs.size(); ++p)
        if (!programs[p].rows.empty()) scores[p] = uniform(rng_);
      return scores;
    }
    const size_t width = static_cast<size_t>(num_features());
    std::vector<float> data;
    size_t rows = 0;
    for (const auto& prog : programs) rows += prog.rows.size();
    if (rows == 0) return scores;
    data.reserve(rows * width);
    for (const auto& prog : programs)
      for (const auto& row : prog.rows) {
        if (row.size() != width) fail("cost model: a feature row has {} columns, expected {}", row.size(), width);
        data.insert(data.end(), row.begin(), row.end());
      }
    DMatrix test(data, rows, width);
    bst_ulong n = 0;
    const float* pred = nullptr;
    check(XGBoosterPredict(booster_, test.get(), /*margin*/ 1, 0, /*training*/ 0, &n, &pred), "predicting");
    BCD_CHECK(n == rows, "xgboost predicted {} rows of {}", n, rows);
    size_t r = 0;
    for (size_t p = 0; p < programs.size(); ++p) {
      if (programs[p].rows.empty()) continue;
      double sum = 0;
      for (size_t k = 0; k < programs[p].rows.size(); ++k) sum += pred[r++];
      scores[p] = sum;
    }
    return scores;
  }

  // File: magic, feature width, rounds, the samples (task names, throughputs,
  // row counts, rows) and the booster as UBJSON. Written to a temporary file and
  // renamed, so that a crash never leaves a torn model behind.
  void save(const std::string& path) const override {
    std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) fail("cannot write cost model to '{}'", path);
      out.write(kMagic, sizeof(kMagic));
      put<uint32_t>(out, static_cast<uint32_t>(num_features()));
      put<int32_t>(out, rounds_);
      std::vector<const std::string*> names(task_ids_.size());
      for (const auto& [name, id] : task_ids_) names[id] = &name;
      put<uint64_t>(out, names.size());
      for (const std::string* name : names) {
        put<uint64_t>(out, name->size());
        out.write(name->data(), static_cast<std::streamsize>(name->size()));
      }
      put<uint64_t>(out, task_.size());
      for (size_t p = 0; p < task_.size(); ++p) {
        put<int32_t>(out, task_[p]);
        put<double>(out, throughput_[p]);
        put<uint64_t>(out, row_end_[p]);
      }
      put<uint64_t>(out, data_.size());
      out.write(reinterpret_cast<const char*>(data_.data()), static_cast<std::streamsize>(data_.size() * sizeof(float)));
      bst_ulong len = 0;
      const char* bytes = nullptr;
      if (booster_) check(XGBoosterSaveModelToBuffer(booster_, R"({"format": "ubj"})", &len, &bytes), "saving the model");
      put<uint64_t>(out, len);
      out.write(bytes, static_cast<std::streamsize>(len));
      if (!out) fail("cannot write cost model to '{}'", path);
    }
    std::filesystem::rename(tmp, path);
  }

  void load(const std::string& path) override {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot read cost model '{}'", path);
    char magic[sizeof(kMagic)] = {};
    in.read(magic, sizeof(magic));
    if (!in || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) fail("'{}' is not an XGBoost cost model file", path);
    auto width = get<uint32_t>(in, path);
    if (width != static_cast<uint32_t>(num_features()))
      fail("cost model '{}' has {} feature columns, this build has {}", path, width, num_features());
    int rounds = get<int32_t>(in, path);
    std::map<std::string, int> task_ids;
    auto num_tasks = get<uint64_t>(in, path);
    for (uint64_t t = 0; t < num_tasks; ++t) {
      std::string name(get<uint64_t>(in, path), '\0');
      in.read(name.data(), static_cast<std::streamsize>(name.size()));
      task_ids.emplace(std::move(name), static_cast<int>(t));
    }
    auto num_programs = get<uint64_t>(in, path);
    std::vector<int> task(num_programs);
    std::vector<double> throughput(num_programs);
    std::vector<size_t> row_end(num_programs);
    for (uint64_t p = 0; p < num_programs; ++p) {
      task[p] = get<int32_t>(in, path);
      throughput[p] = get<double>(in, path);
      row_end[p] = get<uint64_t>(in, path);
      if (task[p] < 0 || task[p] >= static_cast<int>(num_tasks)) fail("cost model file '{}' is corrupt", path);
    }
    std::vector<float> data(get<uint64_t>(in, path));
    in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)));
    if (num_programs && row_end.back() * width != data.size()) fail("cost model file '{}' is corrupt", path);
    std::string model(get<uint64_t>(in, path), '\0');
    in.read(model.data(), static_cast<std::streamsize>(model.size()));
    if (!in) fail("cost model file '{}' is truncated", path);

    BoosterHandle booster = nullptr;
    if (!model.empty()) {
      check(XGBoosterCreate(nullptr, 0, &booster), "creating the booster");
      if (XGBoosterLoadModelFromBuffer(booster, model.data(), model.size()) != 0) {
        XGBoosterFree(booster);
        fail("xgboost: loading the model in '{}' failed: {}", path, XGBGetLastError());
      }
    }
    if (booster_) XGBoosterFree(booster_);
    booster_ = booster;
    if (booster_) configure();
    rounds_ = rounds;
    task_ids_ = std::move(task_ids);
    task_ = std::move(task);
    throughput_ = std::move(throughput);
    row_end_ = std::move(row_end);
    data_ = std::move(data);
  }

  std::string name() const override { return "xgboost"; }
  int num_trees() const override { return rounds_; }

 private:
  size_t row_begin(size_t p) const { return p == 0 ? 0 : row_end_[p - 1]; }

  // Training parameters are configuration, not part of a saved model: set them
  // on every booster we create or load.
  void configure() {
    auto set = [&](const char* key, const std::string& value) {
      check(XGBoosterSetParam(booster_, key, value.c_str()), "setting a parameter");
    };
    set("booster", "gbtree");
    set("tree_method", "hist");
    // The objective only serves prediction transforms here (identity); gradients
    // come from the pack-sum objective above. A base score of 0 keeps a pack's sum
    // independent of how many rows it has.
    set("objective", "reg:squarederror");
    set("base_score", "0");
    set("max_depth", std::to_string(options_.max_depth));
    set("eta", std::to_string(options_.eta));
    set("gamma", std::to_string(options_.gamma));
    set("min_child_weight", std::to_string(options_.min_child_weight));
    set("seed", std::to_string(options_.seed & 0x7fffffff));
    set("verbosity", "0");
    set("disable_default_eval_metric", "1");
    if (options_.threads > 0) set("nthread", std::to_string(options_.threads));
  }

  XGBoostOptions options_;
  std::mt19937_64 rng_;
  BoosterHandle booster_ = nullptr;
  int rounds_ = 0;
  // Every sample so far: rows of all programs back to back, program p owning rows
  // [row_end_[p-1], row_end_[p]).
  std::map<std::string, int> task_ids_;
  std::vector<int> task_;
  std::vector<double> throughput_;
  std::vector<size_t> row_end_;
  std::vector<float> data_;
};

}  // namespace

std::unique_ptr<CostModel> make_xgboost_model(const XGBoostOptions& options) {
  return std::make_unique<XGBoostModel>(options);
}

bool xgboost_available() { return true; }

#else

std::unique_ptr<CostModel> make_xgboost_model(const XGBoostOptions&) {
  fail("this bcd was built without XGBoost (install libxgboost-dev and rebuild); use the random cost model");
}

bool xgboost_available() { return false; }

#endif

}  // namespace bcd::costmodel
