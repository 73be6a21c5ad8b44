// The per-task comparison of two records logs, on hand-made records.
#include "tuning/task_comparison.h"

#include <gtest/gtest.h>

#include "testing/hand_records.h"

namespace bcd::tuning {
namespace {

Record measured(const std::string& key, const std::string& task, double ms) {
  return testutil::hand_record(key, task, ms);
}

TEST(TaskComparison, BestsTrialsAndBsTrialsToAsBestPerWorkload) {
  // conv: A's best 2 ms; B's third conv record (1.9 ms) is its first at or below it.
  // pool: B never gets to A's 0.5 ms. dense: only B measured it.
  std::vector<Record> a = {measured("c", "conv", 3), measured("p", "pool", 0.5), measured("c", "conv", 2),
                           measured("c", "conv", 0)};
  std::vector<Record> b = {measured("d", "dense", 1), measured("c", "conv", 2.5), measured("p", "pool", 0.8),
                           measured("c", "conv", 0), measured("c", "conv", 1.9), measured("c", "conv", 1.5)};
  std::vector<TaskComparison> rows = compare_tasks(a, b);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].task, "conv");
  EXPECT_EQ(rows[1].task, "pool");
  EXPECT_EQ(rows[2].task, "dense");

  EXPECT_DOUBLE_EQ(*rows[0].a_best_ms, 2);
  EXPECT_DOUBLE_EQ(*rows[0].b_best_ms, 1.5);
  EXPECT_EQ(rows[0].a_trials, 3);  // the error record used a trial too
  EXPECT_EQ(rows[0].b_trials, 4);
  ASSERT_TRUE(rows[0].b_trials_to_a_best);
  EXPECT_EQ(*rows[0].b_trials_to_a_best, 3);

  EXPECT_DOUBLE_EQ(*rows[1].b_best_ms, 0.8);
  EXPECT_FALSE(rows[1].b_trials_to_a_best);

  EXPECT_FALSE(rows[2].a_best_ms);
  EXPECT_EQ(rows[2].a_trials, 0);
  EXPECT_FALSE(rows[2].b_trials_to_a_best);

  std::string md = task_comparison_markdown(rows, "ansor", "diffusion");
  EXPECT_NE(md.find("| conv | 2.0000 | 1.5000 | 0.750 | 3 | 4 | 3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| pool | 0.5000 | 0.8000 | 1.600 | 1 | 1 | never |"), std::string::npos) << md;
  EXPECT_NE(md.find("| dense | - | 1.0000 | - | 0 | 1 | never |"), std::string::npos) << md;
  EXPECT_NE(md.find("A: ansor best (ms)"), std::string::npos) << md;
}

}  // namespace
}  // namespace bcd::tuning
