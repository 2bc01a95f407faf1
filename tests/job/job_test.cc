#include "lts/job.h"

#include <gtest/gtest.h>

namespace lts {
namespace {

Job ValidJob() {
  Job job;
  job.task_id = "order-42";
  job.task_tracker_node_group = "billing";
  return job;
}

TEST(JobTest, DefaultsFollowLts) {
  Job job;
  EXPECT_EQ(100, job.priority);
  EXPECT_EQ(0, job.max_retry_times);
  EXPECT_TRUE(job.rely_on_prev_cycle);
  EXPECT_FALSE(job.need_feedback);
  EXPECT_EQ("UTC", job.time_zone);
  EXPECT_EQ(30000, job.retry_backoff.initial_ms);
}

TEST(JobTest, KindFollowsTheFieldsInLtsOrder) {
  Job job = ValidJob();
  EXPECT_EQ(JobKind::kRealTime, job.Kind());
  job.trigger_time_ms = 1;
  EXPECT_EQ(JobKind::kTriggerTime, job.Kind());
  job.repeat_interval_ms = 5000;
  job.repeat_count = -1;
  EXPECT_EQ(JobKind::kRepeat, job.Kind());
  job.cron_expression = "0 0 * * * ?";
  EXPECT_EQ(JobKind::kCron, job.Kind());
  job.cron_expression.clear();
  job.repeat_count = 0;  // repeatCount 0 is not a repeat job.
  EXPECT_EQ(JobKind::kTriggerTime, job.Kind());
}

// Each invalid job yields kInvalidArgument whose message starts with the field name.
TEST(JobTest, ValidationNamesTheField) {
  struct Case {
    void (*mutate)(Job*);
    const char* field;
  };
  const Case cases[] = {
      {[](Job* j) { j->task_id.clear(); }, "taskId"},
      {[](Job* j) { j->task_id = std::string(65, 'x'); }, "taskId"},
      {[](Job* j) { j->task_id = "a\nb"; }, "taskId"},
      {[](Job* j) { j->task_id = "\xc3\x28"; }, "taskId"},
      {[](Job* j) { j->task_tracker_node_group.clear(); }, "taskTrackerNodeGroup"},
      {[](Job* j) { j->task_tracker_node_group = std::string(65, 'g'); }, "taskTrackerNodeGroup"},
      {[](Job* j) { j->task_tracker_node_group = "a/b"; }, "taskTrackerNodeGroup"},
      {[](Job* j) { j->submit_node_group = "bad group"; }, "submitNodeGroup"},
      {[](Job* j) { j->ext_params[""] = "v"; }, "extParams"},
      {[](Job* j) { j->ext_params["__LTS_Seq_Id"] = "1"; }, "extParams"},
      {[](Job* j) { j->ext_params["big"] = std::string(64 * 1024, 'x'); }, "extParams"},
      {[](Job* j) { j->max_retry_times = -1; }, "maxRetryTimes"},
      {[](Job* j) { j->repeat_count = -2; }, "repeatCount"},
      {[](Job* j) { j->repeat_interval_ms = 10; }, "repeatInterval"},
      {[](Job* j) { j->trigger_time_ms = -5; }, "triggerTime"},
      {[](Job* j) { j->timeout_seconds = -1; }, "timeoutSeconds"},
      {[](Job* j) { j->time_zone = "Nowhere/City"; }, "timeZone"},
      {[](Job* j) { j->cron_expression = "0 0 0 32 * ?"; }, "cronExpression"},
      {[](Job* j) { j->cron_expression = "0 0 0 * * ? " + std::string(130, '1'); },
       "cronExpression"},
      {[](Job* j) { j->retry_backoff.max_ms = 1; }, "retryBackoff.maxMs"},
      {[](Job* j) { j->retry_backoff.multiplier = 0.5; }, "retryBackoff.multiplier"},
  };
  for (const Case& c : cases) {
    Job job = ValidJob();
    c.mutate(&job);
    Status s = job.Validate();
    EXPECT_EQ(StatusCode::kInvalidArgument, s.code()) << c.field;
    EXPECT_EQ(0u, s.message().find(c.field)) << s.ToString();
  }
  EXPECT_TRUE(ValidJob().Validate().ok());
}

TEST(JobTest, LimitsAreInclusive) {
  Job job = ValidJob();
  job.task_id = std::string(64, 't');
  job.task_tracker_node_group = std::string(64, 'g');
  job.ext_params["k"] = std::string(64 * 1024 - 1, 'v');
  EXPECT_TRUE(job.Validate().ok()) << job.Validate().ToString();
}

TEST(JobTest, JsonRoundTripKeepsEveryField) {
  Job job = ValidJob();
  job.priority = -7;
  job.submit_node_group = "web";
  job.ext_params = {{"shop", "\"quoted\" \\ \xe2\x82\xac"}, {"empty", ""}};
  job.need_feedback = true;
  job.max_retry_times = 3;
  job.cron_expression = "0 0/5 * * * ?";
  job.repeat_count = 7;
  job.repeat_interval_ms = 60000;
  job.trigger_time_ms = 1700000000123;
  job.replace_on_exist = true;
  job.rely_on_prev_cycle = false;
  job.timeout_seconds = 90;
  job.time_zone = "Europe/Berlin";
  job.retry_backoff = {RetryBackoff::Kind::kExponential, 1000, 60000, 3.0};
  StatusOr<Job> back = Job::FromJson(job.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(job, *back);
  EXPECT_EQ(ValidJob(), *Job::FromJson(ValidJob().ToJson()));
}

TEST(JobTest, JsonUsesTheJavaFieldNames) {
  Job job = ValidJob();
  job.trigger_time_ms = 5;
  const std::string json = job.ToJson();
  for (const char* name : {"\"taskId\"", "\"taskTrackerNodeGroup\"", "\"priority\"",
                           "\"triggerTime\"", "\"relyOnPrevCycle\"", "\"maxRetryTimes\""}) {
    EXPECT_NE(std::string::npos, json.find(name)) << name;
  }
}

TEST(JobTest, MalformedJsonGivesAClearError) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "malformed JSON"},
      {"{", "malformed JSON"},
      {"[1,2]", "expected a JSON object"},
      {"{\"taskId\": 5, \"taskTrackerNodeGroup\": \"g\"}", "job.taskId: expected a string"},
      {"{\"taskId\": \"t\", \"taskTrackerNodeGroup\": \"g\", \"priority\": 1.5}", "job.priority"},
      {"{\"taskId\": \"t\", \"taskTrackerNodeGroup\": \"g\", \"priority\": 99999999999}",
       "job.priority"},
      {"{\"taskId\": \"t\", \"taskTrackerNodeGroup\": \"g\", \"extParams\": {\"a\": 1}}",
       "job.extParams"},
      {"{\"taskId\": \"t\", \"taskTrackerNodeGroup\": \"g\", \"retryBackoff\": {\"kind\": \"x\"}}",
       "job.retryBackoff.kind"},
      {"{\"taskId\": \"t\"}", "taskTrackerNodeGroup: required"},
  };
  for (const auto& [input, expected] : cases) {
    StatusOr<Job> job = Job::FromJson(input);
    ASSERT_FALSE(job.ok()) << input;
    EXPECT_EQ(StatusCode::kInvalidArgument, job.status().code());
    EXPECT_NE(std::string::npos, job.status().message().find(expected))
        << input << " -> " << job.status().ToString();
  }
}

TEST(JobTest, DeepOrHugeJsonIsRefusedBeforeParsing) {
  std::string deep(100000, '[');
  StatusOr<Job> job = Job::FromJson(deep);
  ASSERT_FALSE(job.ok());
  EXPECT_NE(std::string::npos, job.status().message().find("deeper"));
  std::string huge = "{\"taskId\": \"" + std::string(2 * 1024 * 1024, 'x') + "\"}";
  EXPECT_FALSE(Job::FromJson(huge).ok());
}

TEST(JobTest, UnknownFieldsAreIgnored) {
  StatusOr<Job> job = Job::FromJson(
      "{\"taskId\": \"t\", \"taskTrackerNodeGroup\": \"g\", \"fromTheFuture\": [1, {}]}");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ("t", job->task_id);
}

TEST(RetryBackoffTest, ExponentialGrowsToTheCap) {
  RetryBackoff b{RetryBackoff::Kind::kExponential, 1000, 5000, 2.0};
  EXPECT_EQ(1000, b.DelayMs(1));
  EXPECT_EQ(2000, b.DelayMs(2));
  EXPECT_EQ(4000, b.DelayMs(3));
  EXPECT_EQ(5000, b.DelayMs(4));
  EXPECT_EQ(5000, b.DelayMs(1000));
  RetryBackoff fixed;
  EXPECT_EQ(30000, fixed.DelayMs(5));
}

}  // namespace
}  // namespace lts
