// The broker's wire formats: broker URLs, jobs and results, read strictly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/job.h"
#include "broker/redis_client.h"
#include "ops/registry.h"
#include "schedule/state.h"
#include "testing/error_of.h"

using namespace bcd;
using namespace bcd::broker;
using namespace bcd::testutil;
using ::testing::HasSubstr;

TEST(BrokerUrl, ReadsHostPortAndCredentials) {
  BrokerAddress a = parse_broker_url("redis://bcd:s3cret@10.0.0.5:7000");
  EXPECT_EQ(a.host, "10.0.0.5");
  EXPECT_EQ(a.port, 7000);
  EXPECT_EQ(a.user, "bcd");
  EXPECT_EQ(a.password, "s3cret");
  EXPECT_EQ(a.display(), "redis://bcd@10.0.0.5:7000");  // never the password
  BrokerAddress b = parse_broker_url("redis://broker.lan");
  EXPECT_EQ(b.port, 6379);
  EXPECT_TRUE(b.user.empty());
  EXPECT_EQ(parse_broker_url("redis://:pw@h:1").password, "pw");
}

TEST(BrokerUrl, MalformedUrlsAreOneLine) {
  EXPECT_THAT(error_of([] { parse_broker_url("http://h:1"); }), HasSubstr("expected redis://"));
  EXPECT_THAT(error_of([] { parse_broker_url("redis://h:99999"); }), HasSubstr("port '99999'"));
  EXPECT_THAT(error_of([] { parse_broker_url("redis://h:x"); }), HasSubstr("port 'x'"));
  EXPECT_THAT(error_of([] { parse_broker_url("redis://"); }), HasSubstr("expected redis://"));
}

namespace {
Job sample_job() {
  ops::OpInstance op = ops::build_op("dense", ops::OpParams::parse("m=8,n=8,k=8"));
  schedule::State state(op.dag);
  Job job;
  job.id = "run:3";
  job.bcd_version = "1.2.3";
  job.target = "llvm -cores=2";
  job.workload_key = op.dag.workload_key();
  job.task = "dense";
  job.steps = state.history();
  job.measure.runner.repeat = 5;
  job.measure.runner.timeout_seconds = 7;
  job.measure.runner.evict_activations = true;
  job.measure.verify_all = true;
  job.measure.retime_best = false;
  job.measure.input_seed = 42;
  return job;
}
}  // namespace

TEST(BrokerJob, RoundTripsEveryField) {
  Job job = sample_job();
  Job back = job_from_json(job_to_json(job));
  EXPECT_EQ(back.id, job.id);
  EXPECT_EQ(back.bcd_version, job.bcd_version);
  EXPECT_EQ(back.target, job.target);
  EXPECT_EQ(back.workload_key, job.workload_key);
  EXPECT_EQ(back.steps.size(), job.steps.size());
  EXPECT_EQ(back.measure.runner.repeat, 5);
  EXPECT_EQ(back.measure.runner.timeout_seconds, 7);
  EXPECT_TRUE(back.measure.runner.evict_activations);
  EXPECT_FALSE(back.measure.runner.flush_cache);
  EXPECT_TRUE(back.measure.verify_all);
  EXPECT_FALSE(back.measure.retime_best);
  EXPECT_EQ(back.measure.input_seed, 42u);
  EXPECT_EQ(job_id_of(job_to_json(job)), "run:3");
}

TEST(BrokerJob, TamperedJobsAreOneLineErrors) {
  std::string good = job_to_json(sample_job());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_THAT(error_of([] { job_from_json("not json"); }), HasSubstr("invalid JSON"));
  EXPECT_THAT(error_of([&] { job_from_json(with("\"v\":1", "\"v\":9")); }), HasSubstr("version 9"));
  EXPECT_THAT(error_of([&] { job_from_json(with("\"repeat\":5", "\"repeat\":100000000")); }),
              HasSubstr("\"repeat\""));
  EXPECT_THAT(error_of([&] { job_from_json(with("\"steps\":[]", "\"steps\":[[\"ZZ\",1]]")); }), HasSubstr("ZZ"));
  EXPECT_THAT(error_of([&] { job_from_json(with("\"key\"", "\"kee\"")); }), HasSubstr("missing field \"key\""));
  // The id survives a malformed rest, so that the job can still be answered.
  EXPECT_EQ(job_id_of(with("\"steps\":[]", "\"steps\":[[\"ZZ\",1]]")), "run:3");
  EXPECT_EQ(job_id_of("garbage"), "");
}

TEST(BrokerJob, ResultsRoundTripAndAreChecked) {
  JobResult r;
  r.id = "run:1";
  r.worker = "w";
  r.result.costs = {1e-5, 2e-5};
  r.result.build_seconds = 0.5;
  JobResult back = result_from_json(result_to_json(r));
  EXPECT_EQ(back.id, "run:1");
  EXPECT_EQ(back.worker, "w");
  EXPECT_EQ(back.result.costs, r.result.costs);
  EXPECT_EQ(back.result.build_seconds, 0.5);
  r.result.costs.clear();
  EXPECT_THAT(error_of([&] { result_from_json(result_to_json(r)); }), HasSubstr("without error must have costs"));
  r.result.error = runtime::MeasureError::Compile;
  r.result.error_message = "boom";
  EXPECT_EQ(result_from_json(result_to_json(r)).result.error, runtime::MeasureError::Compile);
}
