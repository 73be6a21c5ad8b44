// How ModelSpec::load_for decides the default layout, "auto": NHWC for an NCHW
// model on a CPU, the model as written on a GPU, for a model without NCHW image
// operators, and for records tuned on the model as written; never "auto" in what a
// run or package records.
#include <gtest/gtest.h>

#include "api/tune_config.h"
#include "graph/convert_layout.h"
#include "graph/tasks.h"
#include "support/error.h"
#include "testing/error_of.h"

using namespace bcd;

namespace {

api::ModelSpec small_squeezenet() {
  api::ModelSpec m;
  m.model = "squeezenet_v1.1";
  m.zoo.image_size = 32;
  return m;
}

// One record of the first task of `graph` with a reduction.
std::vector<tuning::Record> one_record_of(const graph::Graph& graph) {
  tuning::Record r;
  for (const graph::Task& t : graph::extract_tasks(graph).tasks)
    if (!t.simple) {
      r.workload_key = t.workload_key;
      break;
    }
  return {r};
}

}  // namespace

TEST(ModelLayout, AutoRunsAnNchwModelInNhwcOnCpus) {
  const api::ModelSpec::Loaded m = small_squeezenet().load_for(Target::cpu());
  EXPECT_EQ(m.spec.layout, "NHWC");
  ASSERT_TRUE(m.converted.has_value());
  EXPECT_TRUE(graph::has_nchw_image_operators(m.written));
  EXPECT_FALSE(graph::has_nchw_image_operators(*m.converted));
  EXPECT_EQ(m.spec.identity().value("layout", ""), "NHWC");
}

TEST(ModelLayout, AutoKeepsTheModelOnGpusAndWithoutNchwOperators) {
  const api::ModelSpec::Loaded gpu = small_squeezenet().load_for(Target::gpu());
  EXPECT_EQ(gpu.spec.layout, "keep");
  EXPECT_FALSE(gpu.converted.has_value());
  EXPECT_FALSE(gpu.spec.identity().contains("layout"));  // as runs from before the option

  api::ModelSpec bert;
  bert.model = "bert";
  bert.zoo.bert_layers = 1;
  bert.zoo.bert_seq_len = 16;
  const api::ModelSpec::Loaded b = bert.load_for(Target::cpu());
  EXPECT_EQ(b.spec.layout, "keep");
  EXPECT_FALSE(b.converted.has_value());
}

TEST(ModelLayout, AutoFollowsTheRecordsOfEitherLayout) {
  const api::ModelSpec spec = small_squeezenet();
  const api::ModelSpec::Loaded nhwc = spec.load_for(Target::cpu());
  // Records of the model as written (tuned before "auto" was the default): keep.
  const api::ModelSpec::Loaded old = spec.load_for(Target::cpu(), one_record_of(nhwc.written));
  EXPECT_EQ(old.spec.layout, "keep");
  EXPECT_FALSE(old.converted.has_value());
  // Records of the converted model: NHWC.
  const api::ModelSpec::Loaded tuned = spec.load_for(Target::cpu(), one_record_of(*nhwc.converted));
  EXPECT_EQ(tuned.spec.layout, "NHWC");
  EXPECT_TRUE(tuned.converted.has_value());
  // An explicit layout is what it says, whatever the records.
  api::ModelSpec asked = spec;
  asked.layout = "NHWC";
  EXPECT_EQ(asked.load_for(Target::cpu(), one_record_of(nhwc.written)).spec.layout, "NHWC");
  asked.layout = "keep";
  EXPECT_EQ(asked.load_for(Target::cpu()).spec.layout, "keep");
}

TEST(ModelLayout, AnUnknownLayoutAndAnUndecidedIdentityFail) {
  api::ModelSpec spec = small_squeezenet();
  spec.layout = "NCHWc";
  EXPECT_EQ(testutil::error_of([&] { spec.load_for(Target::cpu()); }), "unknown layout 'NCHWc' (auto, keep or NHWC)");
  spec.layout = "auto";
  EXPECT_THROW(spec.identity(), Error);
}

TEST(ModelLayout, ARunsRecordedModelBuildsTheSameSpecAgain) {
  api::ModelSpec spec = small_squeezenet();
  spec.zoo.seed = 7;
  const api::ModelSpec::Loaded m = spec.load_for(Target::cpu());
  const api::ModelSpec again = api::ModelSpec::from_identity(m.spec.identity());
  EXPECT_EQ(again.identity(), m.spec.identity());
  EXPECT_EQ(again.layout, "NHWC");
  EXPECT_EQ(again.zoo.image_size, 32);
  EXPECT_EQ(again.zoo.seed, 7u);
  // Runs from before the layout option recorded none: the model as written.
  nlohmann::json old = m.spec.identity();
  old.erase("layout");
  EXPECT_EQ(api::ModelSpec::from_identity(old).layout, "keep");
  EXPECT_NE(testutil::error_of([] { api::ModelSpec::from_identity({{"image_size", 32}}); })
                .find("malformed model in a run's description"),
            std::string::npos);
}
