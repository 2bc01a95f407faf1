// JobRunnerTester (lts/job_runner_tester.h) and the runner call boundary
// (tasktracker/runner_call.h).

#include "lts/job_runner_tester.h"

#include <exception>
#include <thread>
#include <utility>

#include "base/logging.h"
#include "base/mutex.h"
#include "tasktracker/biz_log.h"
#include "tasktracker/runner_call.h"

namespace lts {
namespace tasktracker {

JobRunResult CallRunner(JobRunner* runner, JobContext& ctx) noexcept {
  if (runner == nullptr) return {JobAction::kExecuteFailed, "no runner for this job"};
  try {
    return runner->Run(ctx);
  } catch (const std::exception& e) {
    return {JobAction::kExecuteException, CleanText(e.what(), kMaxBizLogLineBytes)};
  } catch (...) {
    return {JobAction::kExecuteException, "the runner threw a non-standard exception"};
  }
}

void InterruptRunner(JobRunner* runner, JobContext& ctx) noexcept {
  ctx.RequestInterrupt();
  if (runner == nullptr) return;
  try {
    runner->Interrupt();
  } catch (const std::exception& e) {
    LTS_LOG(WARN, "job {}: the runner's Interrupt() threw: {}", ctx.job_id(), e.what());
  } catch (...) {
    LTS_LOG(WARN, "job {}: the runner's Interrupt() threw", ctx.job_id());
  }
}

}  // namespace tasktracker

class JobRunnerTester::Logger : public BizLogger {
 public:
  void Log(BizLogLevel level, std::string_view message) override {
    MutexLock lock(&mu_);
    lines_.push_back({level, tasktracker::CleanText(message, tasktracker::kMaxBizLogLineBytes)});
  }
  void Clear() {
    MutexLock lock(&mu_);
    lines_.clear();
  }
  // Read after the run, when no thread logs any more.
  const std::vector<BizLogRecord>& lines() const NO_THREAD_SAFETY_ANALYSIS { return lines_; }

 private:
  Mutex mu_;
  std::vector<BizLogRecord> lines_ GUARDED_BY(mu_);
};

JobRunnerTester::JobRunnerTester() : logger_(std::make_unique<Logger>()) {}
JobRunnerTester::~JobRunnerTester() = default;

JobRunResult JobRunnerTester::Run(JobRunner& runner, const Job& job) {
  JobContext::Params params;
  params.job = job;
  return Run(runner, std::move(params));
}

JobRunResult JobRunnerTester::Run(JobRunner& runner, JobContext::Params params) {
  if (params.job_id.empty()) params.job_id = "test-job";
  logger_->Clear();
  JobContext ctx(std::move(params), logger_.get());
  std::jthread interrupter;
  if (interrupt_after_.count() > 0) {
    interrupter = std::jthread([&, delay = interrupt_after_](std::stop_token stop) {
      Mutex mu;
      CondVar cv;
      std::stop_callback wake(stop, [&] {
        MutexLock lock(&mu);
        cv.SignalAll();
      });
      const auto deadline = std::chrono::steady_clock::now() + delay;
      MutexLock lock(&mu);
      while (!stop.stop_requested() && std::chrono::steady_clock::now() < deadline) {
        cv.WaitUntil(&mu, deadline);
      }
      if (!stop.stop_requested()) tasktracker::InterruptRunner(&runner, ctx);
    });
  }
  JobRunResult result = tasktracker::CallRunner(&runner, ctx);
  interrupter = std::jthread();  // Stops and joins before ctx goes away.
  return result;
}

const std::vector<BizLogRecord>& JobRunnerTester::biz_logs() const { return logger_->lines(); }

}  // namespace lts
