// JobRunner: the user code a TaskTracker runs for each job (Java LTS's JobRunner and
// InterruptibleJobRunner in one interface).
//
//   class MyRunner : public lts::JobRunner {
//    public:
//     lts::JobRunResult Run(lts::JobContext& ctx) override {
//       ctx.biz_logger().Info("working on " + ctx.job().task_id);
//       if (ctx.interrupted()) return {lts::JobAction::kExecuteLater, "interrupted"};
//       return {lts::JobAction::kExecuteSuccess, "done"};
//     }
//   };
//   lts::RunnerFactory factory = [](const lts::Job&) { return std::make_unique<MyRunner>(); };
//
// A TaskTracker creates a new runner instance for every run (through the RunnerFactory),
// calls Run() once on one of its work threads, and destroys the instance afterwards, so
// a runner may keep per-run state in members. A C++ exception escaping Run() becomes
// EXECUTE_EXCEPTION with the exception's what() as the message.
//
// Thread safety: Run() runs on a work thread; Interrupt() runs on another thread while
// Run() is in progress (terminate or timeout) and must be quick and thread-safe.

#pragma once

#include <functional>
#include <memory>
#include <string>

#include "lts/job.h"
#include "lts/job_result.h"

namespace lts {

class JobContext;

// What a run produced: the action (as in LTS) and a message for the job log and feedback.
struct JobRunResult {
  JobAction action = JobAction::kExecuteSuccess;
  std::string message;
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;

  // Runs the job. May block for as long as the job takes; should check
  // ctx.interrupted() now and then when it can take long.
  virtual JobRunResult Run(JobContext& ctx) = 0;

  // Asks a Run() in progress to stop soon (terminate or timeout). ctx.interrupted() is
  // already true when this is called. Default: nothing (the runner polls the flag).
  virtual void Interrupt() {}
};

// Makes the runner for one run of `job`. Called on a work thread; may choose the runner
// type by the job's params. Returning nullptr makes the run EXECUTE_FAILED.
using RunnerFactory = std::function<std::unique_ptr<JobRunner>(const Job& job)>;

}  // namespace lts
