// JobRunnerTester: runs a JobRunner on a job without any cluster, for unit tests of
// runners (Java LTS's JobRunnerTester). Business log lines are kept in memory; a C++
// exception escaping Run() becomes EXECUTE_EXCEPTION with its what(), as on a
// TaskTracker.
//
//   lts::JobRunnerTester tester;
//   MyRunner runner;
//   lts::JobRunResult r = tester.Run(runner, job);
//   EXPECT_EQ(r.action, lts::JobAction::kExecuteSuccess);
//   EXPECT_EQ(tester.biz_logs().size(), 1u);
//
// Thread safety: one Run() at a time per tester; biz_logs() after Run() returned.

#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lts/job_context.h"
#include "lts/job_runner.h"

namespace lts {

struct BizLogRecord {
  BizLogLevel level = BizLogLevel::kInfo;
  std::string message;
};

class JobRunnerTester {
 public:
  JobRunnerTester();
  ~JobRunnerTester();
  JobRunnerTester(const JobRunnerTester&) = delete;
  JobRunnerTester& operator=(const JobRunnerTester&) = delete;

  // Runs `runner` once on a context built from `params` (job id "test-job" when empty).
  // Blocks until Run() returns. Clears the lines of a previous run first.
  JobRunResult Run(JobRunner& runner, JobContext::Params params);
  JobRunResult Run(JobRunner& runner, const Job& job);

  // Interrupts the next runs this long after they start (the TaskTracker's terminate:
  // the context flag, then JobRunner::Interrupt()). Zero (default): never.
  void set_interrupt_after(std::chrono::milliseconds delay) { interrupt_after_ = delay; }

  // The business log lines of the last run, every level.
  const std::vector<BizLogRecord>& biz_logs() const;

 private:
  class Logger;
  std::unique_ptr<Logger> logger_;
  std::chrono::milliseconds interrupt_after_{0};
};

}  // namespace lts
