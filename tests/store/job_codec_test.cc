#include "store/job_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "testing/status_matchers.h"

namespace lts::store::internal {
namespace {

JobRecord FullRecord() {
  JobRecord r;
  Job& j = r.job;
  j.task_id = "t1";
  j.task_tracker_node_group = "g1";
  j.priority = -7;
  j.submit_node_group = "client";
  j.ext_params = {{"a", "1"}, {"b", std::string("\0\xff", 2)}};
  j.need_feedback = true;
  j.max_retry_times = 3;
  j.cron_expression = "0 0 * * * ?";
  j.repeat_count = -1;
  j.repeat_interval_ms = 5000;
  j.trigger_time_ms = 1234567890123;
  j.replace_on_exist = true;
  j.rely_on_prev_cycle = false;
  j.timeout_seconds = 99;
  j.time_zone = "Asia/Shanghai";
  j.retry_backoff.kind = RetryBackoff::Kind::kExponential;
  j.retry_backoff.initial_ms = 10;
  j.retry_backoff.max_ms = 100000;
  j.retry_backoff.multiplier = 1.5;
  r.real_task_id = "real";
  r.internal_params = {{"__LTS_Seq_Id", "42"}};
  return r;
}

TEST(JobCodecTest, EveryFieldRoundTrips) {
  const JobRecord in = FullRecord();
  std::string body;
  EncodeJobBody(in, &body);
  JobRecord out;
  ASSERT_OK(DecodeJobBody(body, &out));
  EXPECT_EQ(out.job, in.job);
  EXPECT_EQ(out.real_task_id, in.real_task_id);
  EXPECT_EQ(out.internal_params, in.internal_params);
}

TEST(JobCodecTest, EveryTruncationAndTrailingGarbageIsCorruption) {
  std::string body;
  EncodeJobBody(FullRecord(), &body);
  for (size_t n = 0; n < body.size(); ++n) {
    JobRecord out;
    EXPECT_EQ(DecodeJobBody(body.substr(0, n), &out).code(), StatusCode::kCorruption) << n;
  }
  JobRecord out;
  EXPECT_EQ(DecodeJobBody(body + "x", &out).code(), StatusCode::kCorruption);
}

TEST(JobCodecTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  std::string body;
  EncodeJobBody(FullRecord(), &body);
  for (int i = 0; i < 20000; ++i) {
    std::string mutated = body;
    for (int k = 0; k < 3; ++k) mutated[rng() % mutated.size()] = static_cast<char>(rng());
    JobRecord out;
    DecodeJobBody(mutated, &out).IgnoreError();
  }
  SUCCEED() << "seed 7";
}

}  // namespace
}  // namespace lts::store::internal
