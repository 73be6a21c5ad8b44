// Features of real lowered programs: random schedules of operators lower and
// featurize into finite rows of the declared width; and how fast that is.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "costmodel/features.h"
#include "lower/lower.h"
#include "ops/registry.h"
#include "support/error.h"
#include "testing/random_states.h"

using namespace bcd;

namespace {

int count_loops(const lower::Stmt& s) {
  if (!s) return 0;
  int n = s->kind == lower::StmtKind::For ? 1 : 0;
  for (const auto& b : s->body) n += count_loops(b);
  return n;
}

int count_stores(const lower::Stmt& s) {
  if (!s) return 0;
  int n = s->kind == lower::StmtKind::Store ? 1 : 0;
  for (const auto& b : s->body) n += count_stores(b);
  return n;
}

std::vector<lower::LoweredFunc> random_programs(const std::string& op, const std::string& params, int count,
                                                uint64_t seed) {
  ops::OpInstance inst = ops::build_op(op, ops::OpParams::parse(params));
  std::mt19937_64 rng(seed);
  std::vector<lower::LoweredFunc> out;
  for (int attempt = 0; attempt < count * 4 && static_cast<int>(out.size()) < count; ++attempt) {
    try {
      out.push_back(lower::lower_state(testutil::random_state(inst.dag, rng), "f"));
    } catch (const Error&) {
    }
  }
  return out;
}

}  // namespace

TEST(FeatureExtraction, RandomSchedulesGiveFiniteRowsOnePerStore) {
  for (auto [op, params] : {std::pair{"conv2d", "c=16,h=14,w=14,o=32"}, std::pair{"dense", "m=16,k=32,n=16"},
                            std::pair{"softmax", "shape=8x32"}, std::pair{"avg_pool2d", "c=8,h=16,w=16"}}) {
    auto funcs = random_programs(op, params, 30, 11);
    ASSERT_GE(funcs.size(), 20u) << op;
    for (const auto& f : funcs) {
      auto feats = costmodel::extract_features(f);
      ASSERT_EQ(static_cast<int>(feats.rows.size()), count_stores(f.body)) << op;
      for (const auto& row : feats.rows) {
        ASSERT_EQ(static_cast<int>(row.size()), costmodel::num_features());
        for (size_t c = 0; c < row.size(); ++c)
          ASSERT_TRUE(std::isfinite(row[c])) << op << " column " << costmodel::feature_names()[c] << "\n"
                                             << lower::to_string(f);
      }
    }
  }
}

TEST(FeatureExtraction, SpeedOnConv2dPrintout) {
  // ResNet-18's 3x3 conv; random schedules give nests of about 8-14 loops.
  auto funcs = random_programs("conv2d", "", 100, 5);
  ASSERT_FALSE(funcs.empty());
  double loops = 0, stores = 0;
  for (const auto& f : funcs) loops += count_loops(f.body), stores += count_stores(f.body);
  size_t rows = 0;
  const int reps = 20;
  auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r)
    for (const auto& f : funcs) rows += costmodel::extract_features(f).rows.size();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double per_program_ms = seconds * 1e3 / (reps * funcs.size());
  std::printf("[ speed ] conv2d: %.4f ms per program (%zu programs, %.1f loops and %.1f stores on average, "
              "%d columns)\n",
              per_program_ms, funcs.size(), loops / funcs.size(), stores / funcs.size(), costmodel::num_features());
  EXPECT_EQ(rows, reps * static_cast<size_t>(stores));
}
