// The scheduling rules of the JobTracker as pure functions of a job and a time, so they
// are tested without a cluster (docs/scheduling.md states them):
//   - when a job's first run is due;
//   - when the next cycle of a cron or repeat job is due after a run;
//   - what a run's result leads to: finish, retry at a time, or the dead-letter queue.
//
// Thread safety: CronCache is thread-safe; the rest are pure functions.

#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/mutex.h"
#include "cron/cron_expression.h"
#include "cron/time_zone.h"
#include "lts/job.h"
#include "lts/job_result.h"
#include "lts/statusor.h"

namespace lts::jobtracker {

// Parsed cron expressions and zones by (expression, zone): completions of cron jobs
// need the next fire time, and parsing on every completion would cost more than the
// rest of it.
class CronCache {
 public:
  // The next fire strictly after `after_ms` (epoch ms, rounded down to the second), or
  // nullopt when the schedule has none. Errors: kInvalidArgument for a bad expression or
  // zone (a stored job was validated on submission, so this means a newer rule).
  StatusOr<std::optional<int64_t>> NextFireAfter(const Job& job, int64_t after_ms);

 private:
  struct Entry {
    cron::CronExpression expression;
    cron::TimeZone zone;
  };
  Mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Entry>> entries_
      GUARDED_BY(mu_);
};

// When the first run of a newly submitted job is due: real-time now; trigger-time at its
// time (a past time runs now); cron at the next fire after now (nullopt: the expression
// never fires again, the job is refused); repeat at its trigger time or now.
StatusOr<std::optional<int64_t>> FirstTriggerTime(const Job& job, int64_t now_ms, CronCache* crons);

// Repeat jobs: the first point of the grid first + k * interval that is >= t.
int64_t NextGridTime(int64_t first_ms, int64_t interval_ms, int64_t t_ms);

// What to do with a finished run.
struct Outcome {
  enum class Kind {
    kFinish,      // Done: remove the instance (and make the next cycle of a periodic job).
    kRetry,       // Run again at retry_at_ms.
    kDeadLetter,  // Retries ran out: move to the dead-letter queue.
  };
  Kind kind = Kind::kFinish;
  int64_t retry_at_ms = 0;
  bool success = false;
  std::string reason;  // For the job log and the dead-letter entry.
};

// retry_times: retries done before this run. A job is retried after EXECUTE_LATER or
// EXECUTE_EXCEPTION (a timeout is an exception) while retry_times < maxRetryTimes;
// after the last retry a one-off job goes to the dead-letter queue, and a periodic
// instance finishes (its next cycle is scheduled as usual). EXECUTE_SUCCESS and
// EXECUTE_FAILED finish; so does a run an operator terminated.
Outcome DecideOutcome(const Job& job, int32_t retry_times, JobAction action, bool terminated,
                      const std::string& message, int64_t now_ms);

}  // namespace lts::jobtracker
