// The Target value: its canonical string round-trips, bad strings are one-line
// errors, and same_measurements decides which records hold for a target.
#include <gtest/gtest.h>

#include "search/target.h"
#include "support/error.h"
#include "target/target.h"
#include "testing/error_of.h"

using namespace bcd;

TEST(Target, TheCanonicalStringParsesBackToTheSameTarget) {
  Target cpu = Target::cpu();
  cpu.mcpu = "sapphirerapids";
  cpu.hardware.num_cores = 2;
  cpu.rewrite_accumulators = false;
  cpu.use_ansor_space();
  EXPECT_EQ(cpu.str(),
            "llvm -mcpu=sapphirerapids -cores=2 -lanes=16 -cache-line=64 -layout-rewrite=weights "
            "-full-vector-tile-prob=0 -inner-tile-reorder-prob=0");
  EXPECT_EQ(Target::parse(cpu.str()), cpu);
  Target gpu = Target::gpu();
  gpu.mcpu = "sm_90";
  gpu.hardware.num_sms = 114;
  EXPECT_EQ(Target::parse(gpu.str()), gpu);
  EXPECT_TRUE(Target::parse(gpu.str()).is_gpu());
  // A bare kind (what records of earlier versions hold) takes the defaults.
  EXPECT_EQ(Target::parse("llvm"), Target::cpu());
  EXPECT_EQ(Target::parse("cuda"), Target::gpu());
}

TEST(Target, BadStringsAreOneLineErrorsNamingTheProblem) {
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"rocm", "unknown target 'rocm'"},
           {"llvm -lanes=zero", "-lanes=zero: expected a positive integer"},
           {"llvm -lanes=-4", "expected a positive integer"},
           {"llvm -warp-size=32", "unknown option -warp-size for llvm"},
           {"llvm lanes=16", "is not an option of the form -key=value"},
           {"llvm -full-vector-tile-prob=2", "expected a number from 0 to 1"},
           {"llvm -layout-rewrite=everything", "expected weights,accumulators"},
       }) {
    std::string message = testutil::error_of([&] { Target::parse(text); });
    EXPECT_NE(message.find(expected), std::string::npos) << text << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(Target, RecordsHoldForTheSameKindAndHardwareWhateverTheSearchSpace) {
  Target t = Target::parse("llvm -mcpu=znver4 -cores=2 -lanes=16");
  EXPECT_TRUE(same_measurements(t.str(), t));
  EXPECT_TRUE(same_measurements("llvm", t));  // an older record: kind only
  EXPECT_FALSE(same_measurements("cuda", t));
  EXPECT_FALSE(same_measurements(Target::gpu().str(), t));
  EXPECT_FALSE(same_measurements("llvm -cores=16", t));
  EXPECT_FALSE(same_measurements("llvm -mcpu=sapphirerapids", t));
  EXPECT_FALSE(same_measurements("llvm -layout-rewrite=none", t));  // another program for the same State
  EXPECT_TRUE(same_measurements("llvm -full-vector-tile-prob=0 -inner-tile-reorder-prob=0", t));
  EXPECT_FALSE(same_measurements("not a target", t));
}

TEST(Target, ResolvingFillsInThisMachineAndKeepsWhatTheSpecGives) {
  Target t = search::resolve_target("llvm");
  EXPECT_EQ(t.hardware, Target::cpu(search::detect_cpu()).hardware);
  Target fixed = search::resolve_target("llvm -cores=3 -layout-rewrite=none");
  EXPECT_EQ(fixed.hardware.num_cores, 3);
  EXPECT_EQ(fixed.hardware.vector_lanes, t.hardware.vector_lanes);
  EXPECT_FALSE(fixed.rewrite_weights);
  EXPECT_EQ(fixed.mcpu, t.mcpu);
}
