// JobRunnerTester: runs a runner without a cluster, keeps its business log, turns
// exceptions into EXECUTE_EXCEPTION and can interrupt a run.

#include "lts/job_runner_tester.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "tasktracker/biz_log.h"

namespace lts {
namespace {

using namespace std::chrono_literals;

class GreetRunner : public JobRunner {
 public:
  JobRunResult Run(JobContext& ctx) override {
    ctx.biz_logger().Debug("debug line");
    ctx.biz_logger().Info("hello " + ctx.param("name", "world"));
    ctx.biz_logger().Error("attempt " + std::to_string(ctx.attempt()));
    return {JobAction::kExecuteSuccess, ctx.retry() ? "retried" : "first"};
  }
};

class ThrowingRunner : public JobRunner {
 public:
  JobRunResult Run(JobContext&) override { throw std::runtime_error("disk on fire"); }
};

class WaitingRunner : public JobRunner {
 public:
  JobRunResult Run(JobContext& ctx) override {
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (!ctx.interrupted() && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(1ms);
    }
    return {JobAction::kExecuteLater, ctx.interrupted() ? "interrupted" : "not interrupted"};
  }
  void Interrupt() override { hook_called = true; }
  std::atomic<bool> hook_called{false};
};

Job MakeJob() {
  Job job;
  job.task_id = "t1";
  job.task_tracker_node_group = "g";
  job.ext_params["name"] = "LTS";
  return job;
}

TEST(JobRunnerTesterTest, RunsTheRunnerAndKeepsItsBizLog) {
  JobRunnerTester tester;
  GreetRunner runner;
  JobRunResult r = tester.Run(runner, MakeJob());
  EXPECT_EQ(JobAction::kExecuteSuccess, r.action);
  EXPECT_EQ("first", r.message);
  ASSERT_EQ(3u, tester.biz_logs().size());
  EXPECT_EQ(BizLogLevel::kInfo, tester.biz_logs()[1].level);
  EXPECT_EQ("hello LTS", tester.biz_logs()[1].message);
  EXPECT_EQ("attempt 1", tester.biz_logs()[2].message);
}

TEST(JobRunnerTesterTest, ContextCarriesTheAttempt) {
  JobRunnerTester tester;
  GreetRunner runner;
  JobContext::Params params;
  params.job = MakeJob();
  params.retry_times = 2;
  JobRunResult r = tester.Run(runner, params);
  EXPECT_EQ("retried", r.message);
  EXPECT_EQ("attempt 3", tester.biz_logs().back().message);
}

TEST(JobRunnerTesterTest, AnExceptionIsExecuteExceptionWithItsMessage) {
  JobRunnerTester tester;
  ThrowingRunner runner;
  JobRunResult r = tester.Run(runner, MakeJob());
  EXPECT_EQ(JobAction::kExecuteException, r.action);
  EXPECT_EQ("disk on fire", r.message);
}

TEST(JobRunnerTesterTest, InterruptSetsTheFlagAndCallsTheHook) {
  JobRunnerTester tester;
  tester.set_interrupt_after(50ms);
  WaitingRunner runner;
  JobRunResult r = tester.Run(runner, MakeJob());
  EXPECT_EQ("interrupted", r.message);
  EXPECT_TRUE(runner.hook_called);
}

TEST(BizLogTextTest, CleanTextReplacesInvalidUtf8AndCutsOnCharacterBoundaries) {
  EXPECT_EQ("abc", tasktracker::CleanText("abc", 10));
  EXPECT_EQ("a\xEF\xBF\xBD", tasktracker::CleanText("a\xC3", 10));  // Truncated sequence.
  EXPECT_EQ("\xEF\xBF\xBD\xEF\xBF\xBD", tasktracker::CleanText("\xED\xA0\x80", 6).substr(0, 6));
  EXPECT_EQ("ab", tasktracker::CleanText("ab\xC3\xA9", 3));  // é does not fit: cut before it.
  EXPECT_EQ("ab\xC3\xA9", tasktracker::CleanText("ab\xC3\xA9", 4));
}

}  // namespace
}  // namespace lts
