// What a run of a job produced: the action a JobRunner returns, and the result a
// JobClient receives as feedback.
//
// Thread safety: plain value types.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lts/job.h"
#include "lts/statusor.h"

namespace lts {

// The outcome of one run, as in Java LTS's Action.
enum class JobAction {
  kExecuteSuccess,    // Done.
  kExecuteFailed,     // Failed; not retried.
  kExecuteLater,      // Not done; retried per maxRetryTimes and the retry backoff.
  kExecuteException,  // The runner threw (or timed out); retried like kExecuteLater.
};

// "EXECUTE_SUCCESS", "EXECUTE_FAILED", "EXECUTE_LATER", "EXECUTE_EXCEPTION".
std::string_view JobActionName(JobAction action);
// The inverse of JobActionName. Errors: kInvalidArgument naming the text.
StatusOr<JobAction> ParseJobAction(std::string_view name);

// The final result of a job that asked for feedback (Job::need_feedback), delivered to a
// JobClient of its submit node group. Delivery is at least once: `job_id` plus
// `finished_ms` identify a result for de-duplication.
struct JobResult {
  Job job;  // As submitted (task_id is the user's taskId).
  std::string job_id;
  JobAction action = JobAction::kExecuteSuccess;
  bool success = false;     // action == kExecuteSuccess.
  bool terminated = false;  // An operator terminated the run.
  std::string message;      // The runner's message, or why the job ended.
  int32_t attempts = 0;     // Runs made, retries included.
  int64_t finished_ms = 0;  // Epoch milliseconds.
};

}  // namespace lts
