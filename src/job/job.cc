// Job validation and classification (include/lts/job.h).

#include "lts/job.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "base/utf8.h"
#include "cron/cron_expression.h"
#include "cron/time_zone.h"
#include "lts/job_result.h"

namespace lts {
namespace {

constexpr std::string_view kReservedParamPrefix = "__LTS_";

Status CheckNodeGroup(std::string_view field, std::string_view value, bool required) {
  if (value.empty()) {
    return required ? InvalidArgument(fmt::format("{}: required", field)) : Status::Ok();
  }
  if (value.size() > kMaxNodeGroupBytes) {
    return InvalidArgument(
        fmt::format("{}: {} bytes, longer than {}", field, value.size(), kMaxNodeGroupBytes));
  }
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) {
      return InvalidArgument(
          fmt::format("{}: only letters, digits, '_', '-' and '.' are allowed", field));
    }
  }
  return Status::Ok();
}

Status CheckText(std::string_view field, std::string_view value) {
  if (!IsValidUtf8(value)) return InvalidArgument(fmt::format("{}: not valid UTF-8", field));
  if (HasControlChars(value)) {
    return InvalidArgument(fmt::format("{}: control characters are not allowed", field));
  }
  return Status::Ok();
}

}  // namespace

std::string_view JobKindName(JobKind kind) {
  switch (kind) {
    case JobKind::kRealTime:
      return "REAL_TIME";
    case JobKind::kTriggerTime:
      return "TRIGGER_TIME";
    case JobKind::kCron:
      return "CRON";
    case JobKind::kRepeat:
      return "REPEAT";
  }
  return "UNKNOWN";
}

namespace {
constexpr std::string_view kJobActionNames[] = {"EXECUTE_SUCCESS", "EXECUTE_FAILED",
                                                "EXECUTE_LATER", "EXECUTE_EXCEPTION"};
}  // namespace

std::string_view JobActionName(JobAction action) {
  const auto index = static_cast<size_t>(action);
  return index < std::size(kJobActionNames) ? kJobActionNames[index] : "UNKNOWN";
}

StatusOr<JobAction> ParseJobAction(std::string_view name) {
  for (size_t i = 0; i < std::size(kJobActionNames); ++i) {
    if (kJobActionNames[i] == name) return static_cast<JobAction>(i);
  }
  return InvalidArgument(
      fmt::format("action: '{}' is not one of EXECUTE_SUCCESS, EXECUTE_FAILED, EXECUTE_LATER, "
                  "EXECUTE_EXCEPTION",
                  name.substr(0, 64)));
}

int64_t RetryBackoff::DelayMs(int retry_number) const {
  if (kind == Kind::kFixed || retry_number <= 1) return initial_ms;
  const double delay =
      static_cast<double>(initial_ms) * std::pow(multiplier, static_cast<double>(retry_number - 1));
  if (!(delay < static_cast<double>(max_ms))) return max_ms;
  return static_cast<int64_t>(delay);
}

bool Job::IsRepeat() const {
  return repeat_interval_ms.has_value() && *repeat_interval_ms > 0 && repeat_count >= -1 &&
         repeat_count != 0;
}

JobKind Job::Kind() const {
  if (IsCron()) return JobKind::kCron;
  if (IsRepeat()) return JobKind::kRepeat;
  if (!trigger_time_ms.has_value()) return JobKind::kRealTime;
  return JobKind::kTriggerTime;
}

Status Job::Validate() const {
  if (task_id.empty()) return InvalidArgument("taskId: required");
  if (task_id.size() > kMaxTaskIdBytes) {
    return InvalidArgument(
        fmt::format("taskId: {} bytes, longer than {}", task_id.size(), kMaxTaskIdBytes));
  }
  LTS_RETURN_IF_ERROR(CheckText("taskId", task_id));
  LTS_RETURN_IF_ERROR(CheckNodeGroup("taskTrackerNodeGroup", task_tracker_node_group, true));
  LTS_RETURN_IF_ERROR(CheckNodeGroup("submitNodeGroup", submit_node_group, false));

  size_t param_bytes = 0;
  for (const auto& [key, value] : ext_params) {
    if (key.empty()) return InvalidArgument("extParams: a key is empty");
    if (key.compare(0, kReservedParamPrefix.size(), kReservedParamPrefix) == 0) {
      return InvalidArgument(fmt::format("extParams: key '{}' uses the reserved prefix __LTS_",
                                         IsValidUtf8(key) ? key : "<invalid UTF-8>"));
    }
    if (!IsValidUtf8(key) || !IsValidUtf8(value)) {
      return InvalidArgument("extParams: keys and values must be valid UTF-8");
    }
    param_bytes += key.size() + value.size();
  }
  if (param_bytes > kMaxParamsBytes) {
    return InvalidArgument(
        fmt::format("extParams: {} bytes in all, more than {}", param_bytes, kMaxParamsBytes));
  }
  if (max_retry_times < 0 || max_retry_times > kMaxRetryTimesLimit) {
    return InvalidArgument(
        fmt::format("maxRetryTimes: {} is outside [0, {}]", max_retry_times, kMaxRetryTimesLimit));
  }
  if (repeat_count < -1) {
    return InvalidArgument(fmt::format("repeatCount: {} is below -1", repeat_count));
  }
  if (repeat_interval_ms.has_value() && *repeat_interval_ms < kMinRepeatIntervalMs) {
    return InvalidArgument(fmt::format("repeatInterval: {} ms is below the minimum of {} ms",
                                       *repeat_interval_ms, kMinRepeatIntervalMs));
  }
  if (trigger_time_ms.has_value() && *trigger_time_ms < 0) {
    return InvalidArgument("triggerTime: must not be negative");
  }
  if (timeout_seconds < 0 || timeout_seconds > kMaxTimeoutSeconds) {
    return InvalidArgument(
        fmt::format("timeoutSeconds: {} is outside [0, {}]", timeout_seconds, kMaxTimeoutSeconds));
  }
  StatusOr<cron::TimeZone> zone = cron::TimeZone::Find(time_zone);
  if (!zone.ok()) return zone.status().WithContext("timeZone");
  if (!cron_expression.empty()) {
    if (cron_expression.size() > kMaxCronExpressionBytes) {
      return InvalidArgument(fmt::format("cronExpression: {} bytes, longer than {}",
                                         cron_expression.size(), kMaxCronExpressionBytes));
    }
    StatusOr<cron::CronExpression> cron = cron::CronExpression::Parse(cron_expression);
    if (!cron.ok()) return cron.status().WithContext("cronExpression");
  }
  const RetryBackoff& b = retry_backoff;
  if (b.initial_ms < 1) return InvalidArgument("retryBackoff.initialMs: must be at least 1");
  if (b.max_ms < b.initial_ms) {
    return InvalidArgument("retryBackoff.maxMs: must not be below retryBackoff.initialMs");
  }
  if (!(b.multiplier >= 1.0 && b.multiplier <= 10.0)) {
    return InvalidArgument("retryBackoff.multiplier: must be in [1, 10]");
  }
  return Status::Ok();
}

}  // namespace lts
