// JobContext: what a JobRunner knows about the run it performs: the job, which attempt
// this is, an interruption flag, and the run's own BizLogger.
//
// The BizLogger belongs to this run only (the Java LTS shared one logger per TaskTracker
// whose "current job" raced between threads); its lines carry this run's job id and reach
// the JobTracker's business log, through the TaskTracker's FailStore while no JobTracker
// is reachable.
//
// Thread safety: the TaskTracker owns the context; the runner uses it from its Run()
// thread (it may also log from threads it starts, while Run() is in progress).
// interrupted() may be read from any thread.

#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "lts/job.h"

namespace lts {

// Business log levels, as in the protocol's BizLogLine (0 DEBUG .. 3 ERROR).
enum class BizLogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "DEBUG", "INFO", "WARN", "ERROR".
std::string_view BizLogLevelName(BizLogLevel level);

// A per-run business logger. Lines below the TaskTracker's configured level are dropped.
// Lines longer than 64 KiB are cut; invalid UTF-8 is replaced.
class BizLogger {
 public:
  virtual ~BizLogger() = default;
  virtual void Log(BizLogLevel level, std::string_view message) = 0;

  void Debug(std::string_view message) { Log(BizLogLevel::kDebug, message); }
  void Info(std::string_view message) { Log(BizLogLevel::kInfo, message); }
  void Warn(std::string_view message) { Log(BizLogLevel::kWarn, message); }
  void Error(std::string_view message) { Log(BizLogLevel::kError, message); }
};

class JobContext {
 public:
  struct Params {
    Job job;                     // task_id is the user's taskId.
    std::string job_id;          // This instance's id.
    int32_t retry_times = 0;     // Retries done before this run.
    int32_t repeated_count = 0;  // Repeat jobs: the cycle number.
    int64_t trigger_time_ms = 0;
  };

  // `biz_logger` is not owned and must outlive the context. Made by the TaskTracker or
  // by JobRunnerTester; user code does not need to make one.
  JobContext(Params params, BizLogger* biz_logger)
      : params_(std::move(params)), biz_logger_(biz_logger) {}
  JobContext(const JobContext&) = delete;
  JobContext& operator=(const JobContext&) = delete;

  const Job& job() const { return params_.job; }
  const std::string& job_id() const { return params_.job_id; }
  // 1 for the first run, 2 for the first retry, ...
  int32_t attempt() const { return params_.retry_times + 1; }
  int32_t retry_times() const { return params_.retry_times; }
  // This run is a retry of a failed run.
  bool retry() const { return params_.retry_times > 0; }
  int32_t repeated_count() const { return params_.repeated_count; }
  int64_t trigger_time_ms() const { return params_.trigger_time_ms; }
  JobKind kind() const { return params_.job.Kind(); }
  // A param of the job, or `fallback` when it has none.
  std::string param(const std::string& key, std::string fallback = {}) const {
    auto it = params_.job.ext_params.find(key);
    return it == params_.job.ext_params.end() ? fallback : it->second;
  }

  // The run was asked to stop (terminate or timeout). Any thread.
  bool interrupted() const { return interrupted_.load(std::memory_order_acquire); }
  BizLogger& biz_logger() { return *biz_logger_; }

  // Sets the interruption flag (the TaskTracker does this before JobRunner::Interrupt()).
  void RequestInterrupt() { interrupted_.store(true, std::memory_order_release); }

 private:
  const Params params_;
  BizLogger* const biz_logger_;
  std::atomic<bool> interrupted_{false};
};

}  // namespace lts
