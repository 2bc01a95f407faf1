// The JobTracker's scheduling rules (jobtracker/schedule.h).

#include "jobtracker/schedule.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace lts::jobtracker {
namespace {

TEST(ScheduleTest, NextGridTimeStaysOnTheGrid) {
  EXPECT_EQ(NextGridTime(1000, 500, 1000), 1000);
  EXPECT_EQ(NextGridTime(1000, 500, 1001), 1500);
  EXPECT_EQ(NextGridTime(1000, 500, 1500), 1500);
  EXPECT_EQ(NextGridTime(1000, 500, 400), 1000);  // Before the first run.
  EXPECT_EQ(NextGridTime(1000, 500, 2999), 3000);
}

TEST(ScheduleTest, FirstTriggerTimeByKind) {
  CronCache crons;
  Job job;
  job.task_id = "t";
  job.task_tracker_node_group = "g";
  ASSERT_OK_AND_ASSIGN(auto now_run, FirstTriggerTime(job, 5000, &crons));
  EXPECT_EQ(*now_run, 5000);
  job.trigger_time_ms = 9000;
  ASSERT_OK_AND_ASSIGN(auto later, FirstTriggerTime(job, 5000, &crons));
  EXPECT_EQ(*later, 9000);
  job.cron_expression = "*/10 * * * * ?";
  // 2026-11-24T00:00:03Z -> the next fire is at :10.
  const int64_t base = 1795478400000;
  ASSERT_OK_AND_ASSIGN(auto fire, FirstTriggerTime(job, base + 3000, &crons));
  EXPECT_EQ(*fire, base + 10000);
  job.cron_expression = "0 0 0 1 1 ? 2020";  // Only in the past.
  ASSERT_OK_AND_ASSIGN(auto never, FirstTriggerTime(job, base, &crons));
  EXPECT_FALSE(never.has_value());
}

TEST(ScheduleTest, RetriesThenDeadLetterForOneOffJobs) {
  Job job;
  job.max_retry_times = 2;
  job.retry_backoff.kind = RetryBackoff::Kind::kExponential;
  job.retry_backoff.initial_ms = 100;
  job.retry_backoff.multiplier = 2;
  job.retry_backoff.max_ms = 1000;
  Outcome first = DecideOutcome(job, 0, JobAction::kExecuteLater, false, "busy", 0);
  EXPECT_EQ(first.kind, Outcome::Kind::kRetry);
  EXPECT_EQ(first.retry_at_ms, 100);
  Outcome second = DecideOutcome(job, 1, JobAction::kExecuteException, false, "boom", 0);
  EXPECT_EQ(second.kind, Outcome::Kind::kRetry);
  EXPECT_EQ(second.retry_at_ms, 200);
  Outcome last = DecideOutcome(job, 2, JobAction::kExecuteException, false, "boom", 0);
  EXPECT_EQ(last.kind, Outcome::Kind::kDeadLetter);
  EXPECT_NE(last.reason.find("after 2 retries"), std::string::npos) << last.reason;
  // Failed is final without retries; success finishes; terminated is not retried.
  EXPECT_EQ(DecideOutcome(job, 0, JobAction::kExecuteFailed, false, "", 0).kind,
            Outcome::Kind::kFinish);
  EXPECT_TRUE(DecideOutcome(job, 0, JobAction::kExecuteSuccess, false, "", 0).success);
  Outcome terminated = DecideOutcome(job, 0, JobAction::kExecuteException, true, "", 0);
  EXPECT_EQ(terminated.kind, Outcome::Kind::kFinish);
  EXPECT_FALSE(terminated.success);
  // A periodic instance whose retries ran out finishes (the next cycle comes).
  job.cron_expression = "0 * * * * ?";
  EXPECT_EQ(DecideOutcome(job, 2, JobAction::kExecuteLater, false, "", 0).kind,
            Outcome::Kind::kFinish);
}

}  // namespace
}  // namespace lts::jobtracker
