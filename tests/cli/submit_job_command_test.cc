// `lts submit` and `lts job` against a TestJobTracker: exit codes, messages naming the flag
// or the address, the request bodies the JobTracker receives, table and JSON output, and
// malformed answers.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/client_common.h"
#include "client/test_job_tracker.h"
#include "run_lts.h"
#include "testing/free_port.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace lts::cli {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SubmitJobCommandTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(tracker_.Start()); }

  // `args` plus the test JobTracker's address.
  Result Run(std::vector<std::string> args) {
    args.push_back("--jobtracker");
    args.push_back(tracker_.address());
    args.push_back("--timeout-ms");
    args.push_back("5000");
    return RunLts(args);
  }

  lts::testing::TestJobTracker tracker_;
  lts::testing::TempDir dir_;
};

TEST(SubmitUsageTest, BadFlagsExitTwoNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string named;
  };
  const Case cases[] = {
      {{"submit", "--task-id", "t"}, "--group"},
      {{"submit", "--group", "g"}, "--task-id"},
      {{"submit", "--group", "g", "--task-id", "t", "--param", "novalue"}, "--param"},
      {{"submit", "--group", "g", "--task-id", "t", "--retry-backoff", "linear"},
       "--retry-backoff"},
      {{"submit", "--group", "g", "--task-id", "t", "--priority", "high"}, "--priority"},
      {{"submit", "--group", "g", "--task-id", "t", "--trigger-time", "tomorrow"},
       "--trigger-time"},
      {{"submit", "--group", "g", "--task-id", "t", "--cron", "every day"}, "--cron"},
      {{"submit", "--group", "bad group", "--task-id", "t"}, "--group"},
      {{"submit", "--group", "g", "--task-id", "t", "--repeat-count", "3", "--repeat-interval",
        "10"},
       "--repeat-interval"},
      {{"submit", "--group", "g", "--task-id", "t", "--output", "xml"}, "--output"},
      {{"submit", "--json", "/nonexistent/jobs.json"}, "--json"},
      {{"job", "list"}, "--queue"},
      {{"job", "list", "--queue", "waiting"}, "--queue"},
      {{"job", "pause", "g"}, "taskId"},
      {{"job", "pause", "bad group", "t"}, "group"},
      {{"job", "logs", "g", "t", "--limit", "0"}, "--limit"},
  };
  for (const Case& c : cases) {
    Result r = RunLts(c.args);
    EXPECT_EQ(2, r.code) << c.args.back() << "\n" << r.err;
    EXPECT_TRUE(Has(r.err, c.named)) << "expected " << c.named << " in: " << r.err;
  }
}

TEST(SubmitUsageTest, UnreachableJobTrackerExitsOneNamingTheAddress) {
  ASSERT_OK_AND_ASSIGN(uint16_t port, lts::testing::PickFreePort());
  const std::string address = "127.0.0.1:" + std::to_string(port);
  Result r = RunLts(
      {"submit", "--group", "g", "--task-id", "t", "--jobtracker", address, "--timeout-ms", "300"});
  EXPECT_EQ(1, r.code);
  EXPECT_TRUE(Has(r.err, address)) << r.err;
  EXPECT_EQ("", r.out);
  r = RunLts({"job", "counts", "--jobtracker", address, "--timeout-ms", "300"});
  EXPECT_EQ(1, r.code);
  EXPECT_TRUE(Has(r.err, address)) << r.err;
}

TEST(SubmitUsageTest, TimesAreEpochMillisecondsOrIsoWithAZone) {
  EXPECT_EQ(1795514400000, *ParseTimeMs("1795514400000"));
  EXPECT_EQ(1795514400000, *ParseTimeMs("2026-11-24T10:00:00Z"));
  EXPECT_EQ(1795514400250, *ParseTimeMs("2026-11-24T11:00:00.25+01:00"));
  EXPECT_FALSE(ParseTimeMs("2026-11-24T10:00:00").ok());  // No zone.
  EXPECT_FALSE(ParseTimeMs("2026-02-30T10:00:00Z").ok());
  EXPECT_FALSE(ParseTimeMs("").ok());
  EXPECT_EQ("2026-11-24T10:00:00Z", FormatTimeMs(1795514400000));
  EXPECT_EQ("1969-12-31T23:59:59.999Z", FormatTimeMs(-1));
}

TEST_F(SubmitJobCommandTest, SubmitSendsTheJobTheFlagsDescribe) {
  Result r = Run({"submit",
                  "--group",
                  "shell",
                  "--task-id",
                  "hello",
                  "--param",
                  "command=echo hi",
                  "--param",
                  "A=b=c",
                  "--cron",
                  "0 0/5 * * * ?",
                  "--time-zone",
                  "Europe/Paris",
                  "--priority",
                  "5",
                  "--max-retries",
                  "3",
                  "--retry-backoff",
                  "exponential",
                  "--retry-delay-ms",
                  "1000",
                  "--timeout",
                  "60",
                  "--replace",
                  "--no-rely-on-prev-cycle"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ("submitted shell/hello job_id=job-1\n", r.out);
  std::vector<Job> jobs = tracker_.submitted_jobs();
  ASSERT_EQ(1u, jobs.size());
  const Job& job = jobs[0];
  EXPECT_EQ("shell", job.task_tracker_node_group);
  EXPECT_EQ("hello", job.task_id);
  EXPECT_EQ("echo hi", job.ext_params.at("command"));
  EXPECT_EQ("b=c", job.ext_params.at("A"));
  EXPECT_EQ("0 0/5 * * * ?", job.cron_expression);
  EXPECT_EQ("Europe/Paris", job.time_zone);
  EXPECT_EQ(5, job.priority);
  EXPECT_EQ(3, job.max_retry_times);
  EXPECT_EQ(RetryBackoff::Kind::kExponential, job.retry_backoff.kind);
  EXPECT_EQ(1000, job.retry_backoff.initial_ms);
  EXPECT_EQ(60, job.timeout_seconds);
  EXPECT_TRUE(job.replace_on_exist);
  EXPECT_FALSE(job.rely_on_prev_cycle);
  EXPECT_EQ("lts-cli", tracker_.submit_requests()[0].client_group);
}

TEST_F(SubmitJobCommandTest, SubmitTriggerAndRepeatFlags) {
  Result r = Run({"submit", "--group", "g", "--task-id", "r", "--trigger-time",
                  "2026-11-24T10:00:00Z", "--repeat-count", "-1", "--repeat-interval", "60000"});
  ASSERT_EQ(0, r.code) << r.err;
  const Job job = tracker_.submitted_jobs().at(0);
  EXPECT_EQ(1795514400000, job.trigger_time_ms.value_or(0));
  EXPECT_EQ(-1, job.repeat_count);
  EXPECT_EQ(60000, job.repeat_interval_ms.value_or(0));
}

TEST_F(SubmitJobCommandTest, SubmitJsonFileReportsEachJobAndExitsOneOnARefusal) {
  tracker_.AddExisting("g/taken");
  const std::string path = dir_.Join("jobs.json");
  std::ofstream(path) << R"([{"taskId": "a", "extParams": {"command": "true"}},
                             {"taskId": "taken"},
                             {"taskId": "b", "taskTrackerNodeGroup": "other"}])";
  Result r = Run({"submit", "--json", path, "--group", "g"});
  EXPECT_EQ(1, r.code) << r.err;
  EXPECT_TRUE(Has(r.out, "submitted g/a job_id=job-1\n")) << r.out;
  EXPECT_TRUE(Has(r.out, "refused g/taken: ALREADY_EXISTS")) << r.out;
  EXPECT_TRUE(Has(r.out, "submitted other/b job_id=job-2\n")) << r.out;

  r = Run({"submit", "--json", path, "--group", "g", "--output", "json", "--replace"});
  EXPECT_EQ(0, r.code) << r.err;
  nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(doc.is_array()) << r.out;
  ASSERT_EQ(3u, doc.size());
  EXPECT_EQ("OK", doc[1]["status"]);
  EXPECT_EQ(true, doc[1]["replaced"]);
}

TEST_F(SubmitJobCommandTest, SubmitJsonWithAnInvalidJobIsAUsageErrorNamingTheJob) {
  const std::string path = dir_.Join("bad.json");
  std::ofstream(path) << R"([{"taskId": "a", "taskTrackerNodeGroup": "g"},
                             {"taskId": "b", "taskTrackerNodeGroup": "g", "priority": "x"}])";
  Result r = Run({"submit", "--json", path});
  EXPECT_EQ(2, r.code);
  EXPECT_TRUE(Has(r.err, "job[1]")) << r.err;
  EXPECT_TRUE(Has(r.err, "priority")) << r.err;
  EXPECT_TRUE(tracker_.submitted_jobs().empty());
  std::ofstream(path) << "{ not json";
  r = Run({"submit", "--json", path});
  EXPECT_EQ(2, r.code);
  EXPECT_TRUE(Has(r.err, "not valid JSON")) << r.err;
}

TEST_F(SubmitJobCommandTest, NeedFeedbackWaitsForAndPrintsTheResult) {
  tracker_.set_auto_feedback(true);
  Result r =
      Run({"submit", "--group", "g", "--task-id", "fb", "--need-feedback", "--wait-ms", "10000"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_TRUE(Has(r.out, "submitted g/fb job_id=job-1\n")) << r.out;
  EXPECT_TRUE(Has(r.out, "feedback g/fb job_id=job-1 action=EXECUTE_SUCCESS attempts=1")) << r.out;
  EXPECT_TRUE(tracker_.submitted_jobs().at(0).need_feedback);
}

TEST_F(SubmitJobCommandTest, MissingFeedbackExitsOne) {
  Result r =
      Run({"submit", "--group", "g", "--task-id", "fb", "--need-feedback", "--wait-ms", "200"});
  EXPECT_EQ(1, r.code);
  EXPECT_TRUE(Has(r.err, "no feedback")) << r.err;
}

TEST_F(SubmitJobCommandTest, JobListSendsTheQueryAndPrintsATable) {
  tracker_.SetQueryBody(R"({"jobs": [
      {"job": {"taskId": "nightly", "taskTrackerNodeGroup": "shell",
               "cronExpression": "0 0 2 * * ?"},
       "jobId": "j-1", "queue": "cron", "retryTimes": 0, "triggerTime": 1795514400000,
       "taskTracker": ""},
      {"job": {"taskId": "x", "taskTrackerNodeGroup": "shell"}, "jobId": 42,
       "retryTimes": "two", "triggerTime": null}], "total": 2})");
  Result r = Run({"job", "list", "--queue", "cron", "--group", "shell", "--task-id", "ni",
                  "--limit", "10", "--offset", "5"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_TRUE(Has(r.out, "JOB_ID  GROUP  TASK_ID  KIND")) << r.out;
  EXPECT_TRUE(Has(r.out, "j-1     shell  nightly  cron       2026-11-24T10:00:00Z")) << r.out;
  EXPECT_TRUE(Has(r.out, "42      shell  x        real-time")) << r.out;  // Wrong types shown.
  EXPECT_TRUE(Has(r.out, "total 2")) << r.out;
  ASSERT_EQ(1u, tracker_.queries().size());
  const protocol::QueryRequest q = tracker_.queries()[0];
  EXPECT_EQ(protocol::QueryKind::kList, q.kind);
  EXPECT_EQ("cron", q.queue);
  EXPECT_EQ("shell", q.node_group);
  EXPECT_EQ("ni", q.task_id);
  EXPECT_EQ(10, q.limit);
  EXPECT_EQ(5, q.offset);
}

TEST_F(SubmitJobCommandTest, MalformedQueryAnswersAreClearErrors) {
  for (const char* body : {"garbage{", R"({"jobs": 5})", R"({"jobs": [1, 2]})", "[1]", R"("x")"}) {
    tracker_.SetQueryBody(body);
    Result r = Run({"job", "list", "--queue", "executable"});
    EXPECT_EQ(1, r.code) << body;
    EXPECT_TRUE(Has(r.err, "malformed")) << body << ": " << r.err;
  }
  tracker_.SetQueryBody(R"({"counts": []})");
  Result r = Run({"job", "counts"});
  EXPECT_EQ(1, r.code);
  EXPECT_TRUE(Has(r.err, "counts")) << r.err;
  tracker_.SetQueryBody(R"({"logs": {}})");
  r = Run({"job", "logs", "g", "t"});
  EXPECT_EQ(1, r.code);
  EXPECT_TRUE(Has(r.err, "logs")) << r.err;
}

TEST_F(SubmitJobCommandTest, JobGetCountsAndLogs) {
  tracker_.SetQueryBody(R"({"job": {"job": {"taskId": "t", "taskTrackerNodeGroup": "g",
      "extParams": {"command": "date"}}, "jobId": "j-9", "queue": "executable"}})");
  Result r = Run({"job", "get", "g", "t"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_TRUE(Has(r.out, "jobId")) << r.out;
  EXPECT_TRUE(Has(r.out, "j-9")) << r.out;
  EXPECT_TRUE(Has(r.out, "param command")) << r.out;
  EXPECT_EQ(protocol::QueryKind::kGet, tracker_.queries().back().kind);
  EXPECT_EQ("t", tracker_.queries().back().task_id);

  tracker_.SetQueryBody(R"({"counts": {"executable": 3, "executing": 1, "cron": 2,
      "repeat": 0, "suspended": 0, "dead": 7}})");
  r = Run({"job", "counts"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_TRUE(Has(r.out, "dead        7")) << r.out;

  tracker_.SetQueryBody(R"({"logs": [{"time": 1795514400000, "level": "INFO",
      "jobId": "j-9", "message": "hello"}]})");
  r = Run({"job", "logs", "g", "t", "--biz", "--limit", "5"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_TRUE(Has(r.out, "hello")) << r.out;
  EXPECT_EQ(protocol::QueryKind::kBizLog, tracker_.queries().back().kind);
  EXPECT_EQ(5, tracker_.queries().back().limit);
}

TEST_F(SubmitJobCommandTest, ControlOpsSendTheKeyAndMapNotFoundToExitOne) {
  tracker_.AddExisting("shell/nightly");
  Result r = Run({"job", "pause", "shell", "nightly"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ("pause shell/nightly: pause done (affected 1)\n", r.out);
  r = Run({"job", "resume", "shell", "nightly", "--output", "json"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_TRUE(Has(r.out, "\"affected\": 1")) << r.out;
  r = Run({"job", "terminate", "shell", "missing"});
  EXPECT_EQ(1, r.code);
  EXPECT_TRUE(Has(r.err, "NOT_FOUND")) << r.err;
  r = Run({"job", "retry-dead", "j-77"});
  ASSERT_EQ(0, r.code) << r.err;
  std::vector<protocol::ControlRequest> controls = tracker_.controls();
  ASSERT_EQ(4u, controls.size());
  EXPECT_EQ(protocol::ControlOp::kPause, controls[0].op);
  EXPECT_EQ("shell", controls[0].key.node_group);
  EXPECT_EQ("nightly", controls[0].key.task_id);
  EXPECT_EQ(protocol::ControlOp::kResume, controls[1].op);
  EXPECT_EQ(protocol::ControlOp::kTerminate, controls[2].op);
  EXPECT_EQ(protocol::ControlOp::kRetryDead, controls[3].op);
  EXPECT_EQ("j-77", controls[3].job_id);
}

}  // namespace
}  // namespace lts::cli
