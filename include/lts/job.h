// lts::Job: what a JobClient submits and a TaskTracker runs (LTS's Job, field for field,
// plus a timeout, a time zone and a retry backoff policy).
//
// The kind of a job follows from its fields, as in LTS (first match wins):
//   cronExpression set                      -> cron job (repeat fields ignored)
//   repeatInterval > 0 and repeatCount != 0 -> repeat job
//   no triggerTime                          -> real-time job (runs now)
//   otherwise                               -> trigger-time job (a past time runs now)
//
// JSON form: the field names below in camelCase ("taskId", "taskTrackerNodeGroup", ...),
// the same names as the Java LTS; see docs/scheduling.md.
//
// Thread safety: a plain value type.

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "lts/status.h"
#include "lts/statusor.h"

namespace lts {

// Limits enforced by Job::Validate().
inline constexpr size_t kMaxTaskIdBytes = 64;
inline constexpr size_t kMaxNodeGroupBytes = 64;
inline constexpr size_t kMaxParamsBytes = 64 * 1024;  // Keys + values of extParams.
inline constexpr size_t kMaxCronExpressionBytes = 128;
inline constexpr size_t kMaxJobJsonBytes = 1024 * 1024;  // Job::FromJson input.
inline constexpr int kMaxRetryTimesLimit = 1000;
inline constexpr int64_t kMinRepeatIntervalMs = 1000;
inline constexpr int64_t kMaxTimeoutSeconds = 30LL * 24 * 3600;

enum class JobKind { kRealTime, kTriggerTime, kCron, kRepeat };

// "REAL_TIME", "TRIGGER_TIME", "CRON", "REPEAT" (the Java JobType names).
std::string_view JobKindName(JobKind kind);

// How long to wait before retry n (n = 1 for the first retry).
struct RetryBackoff {
  enum class Kind {
    kFixed,        // Every retry waits initial_ms.
    kExponential,  // Retry n waits min(initial_ms * multiplier^(n-1), max_ms).
  };
  Kind kind = Kind::kFixed;
  // LTS's default retry interval (jobtracker.job.retry.interval.millis).
  int64_t initial_ms = 30000;
  int64_t max_ms = 3600000;  // Cap for kExponential; >= initial_ms.
  double multiplier = 2.0;   // For kExponential, in [1, 10].

  // The delay before retry `retry_number` (>= 1), in milliseconds.
  int64_t DelayMs(int retry_number) const;

  friend bool operator==(const RetryBackoff&, const RetryBackoff&) = default;
};

struct Job {
  // The user's key, unique per taskTrackerNodeGroup. Required, <= 64 bytes of UTF-8
  // without control characters.
  std::string task_id;
  // The TaskTracker node group that runs the job. Required; <= 64 bytes of
  // [A-Za-z0-9_.-].
  std::string task_tracker_node_group;
  // Smaller runs first (LTS semantics). Default 100.
  int32_t priority = 100;
  // The JobClient node group that receives feedback; the JobTracker fills in the
  // submitter's group when empty. Same rules as node groups when set.
  std::string submit_node_group;
  // User parameters passed to the JobRunner. Keys are non-empty; keys starting with
  // "__LTS_" are reserved; keys + values <= 64 KiB in all.
  std::map<std::string, std::string> ext_params;
  // Send the final result to a JobClient of submit_node_group.
  bool need_feedback = false;
  // Retries after a failure (EXECUTE_LATER or EXECUTE_EXCEPTION); 0 = none. <= 1000.
  int32_t max_retry_times = 0;
  // Quartz cron expression (6 or 7 fields); empty for non-cron jobs. <= 128 bytes.
  std::string cron_expression;
  // Repeat jobs: total number of executions, -1 = forever. >= -1.
  int32_t repeat_count = 0;
  // Repeat jobs: period in milliseconds (>= 1000 when set).
  std::optional<int64_t> repeat_interval_ms;
  // First (or only) fire time, epoch milliseconds; ignored for cron jobs.
  std::optional<int64_t> trigger_time_ms;
  // On submission, replace an existing job with the same (taskId, node group)
  // instead of ignoring the new one.
  bool replace_on_exist = false;
  // Periodic jobs: true = the next cycle starts only after the previous finished;
  // false = cycles are generated ahead on the time grid and may overlap.
  bool rely_on_prev_cycle = true;
  // Seconds a run may take before it is terminated; 0 = no limit. <= 30 days.
  int64_t timeout_seconds = 0;
  // IANA zone the cron expression is read in. Default UTC.
  std::string time_zone = "UTC";
  // Delay between retries.
  RetryBackoff retry_backoff;

  // Returns OK, or kInvalidArgument whose message names the field at fault
  // ("taskId: longer than 64 bytes").
  Status Validate() const;

  JobKind Kind() const;
  bool IsCron() const { return !cron_expression.empty(); }
  bool IsRepeat() const;

  // Compact JSON. Never fails; invalid UTF-8 (only possible in a job that fails
  // Validate()) is replaced by U+FFFD.
  std::string ToJson() const;
  // Parses and validates. Errors name the field ("job.priority: expected an integer
  // in [-2147483648, 2147483647]"). Input over kMaxJobJsonBytes or nested deeper than
  // 32 levels is refused. Unknown fields are ignored (newer senders).
  static StatusOr<Job> FromJson(std::string_view json);

  friend bool operator==(const Job&, const Job&) = default;
};

}  // namespace lts
