// JobTracker scheduling rules (jobtracker/schedule.h).

#include "jobtracker/schedule.h"

#include <fmt/format.h>

#include <algorithm>

namespace lts::jobtracker {

StatusOr<std::optional<int64_t>> CronCache::NextFireAfter(const Job& job, int64_t after_ms) {
  std::shared_ptr<const Entry> entry;
  const auto key = std::make_pair(job.cron_expression, job.time_zone);
  {
    MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) entry = it->second;
  }
  if (entry == nullptr) {
    LTS_ASSIGN_OR_RETURN(cron::CronExpression expression,
                         cron::CronExpression::Parse(job.cron_expression));
    LTS_ASSIGN_OR_RETURN(cron::TimeZone zone, cron::TimeZone::Find(job.time_zone));
    entry = std::make_shared<const Entry>(Entry{std::move(expression), std::move(zone)});
    MutexLock lock(&mu_);
    if (entries_.size() > 10000) entries_.clear();  // Bounded: many distinct expressions.
    entries_.emplace(key, entry);
  }
  const int64_t after_s = after_ms >= 0 ? after_ms / 1000 : -((-after_ms + 999) / 1000);
  std::optional<int64_t> next_s = entry->expression.NextFireAfter(after_s, entry->zone);
  if (!next_s) return std::optional<int64_t>();
  return std::optional<int64_t>(*next_s * 1000);
}

StatusOr<std::optional<int64_t>> FirstTriggerTime(const Job& job, int64_t now_ms,
                                                  CronCache* crons) {
  switch (job.Kind()) {
    case JobKind::kCron:
      return crons->NextFireAfter(job, now_ms);
    case JobKind::kRealTime:
      return std::optional<int64_t>(now_ms);
    case JobKind::kTriggerTime:
    case JobKind::kRepeat:
      return std::optional<int64_t>(job.trigger_time_ms.value_or(now_ms));
  }
  return std::optional<int64_t>(now_ms);
}

int64_t NextGridTime(int64_t first_ms, int64_t interval_ms, int64_t t_ms) {
  if (interval_ms <= 0 || t_ms <= first_ms) return std::max(first_ms, t_ms);
  const int64_t since = t_ms - first_ms;
  const int64_t rem = since % interval_ms;
  return rem == 0 ? t_ms : t_ms + (interval_ms - rem);
}

Outcome DecideOutcome(const Job& job, int32_t retry_times, JobAction action, bool terminated,
                      const std::string& message, int64_t now_ms) {
  Outcome out;
  out.success = action == JobAction::kExecuteSuccess && !terminated;
  if (terminated) {
    out.reason = message.empty() ? "terminated by an operator" : message;
    return out;
  }
  const bool retriable =
      action == JobAction::kExecuteLater || action == JobAction::kExecuteException;
  if (!retriable) {
    out.reason = message;
    return out;
  }
  if (retry_times < job.max_retry_times) {
    out.kind = Outcome::Kind::kRetry;
    out.retry_at_ms = now_ms + job.retry_backoff.DelayMs(retry_times + 1);
    out.reason = fmt::format("{} (retry {} of {})", message, retry_times + 1, job.max_retry_times);
    return out;
  }
  const bool periodic = job.IsCron() || job.IsRepeat();
  if (!periodic) {
    out.kind = Outcome::Kind::kDeadLetter;
    out.reason =
        job.max_retry_times == 0
            ? fmt::format("{}: {} and the job allows no retries", JobActionName(action), message)
            : fmt::format("{}: {} after {} retries", JobActionName(action), message,
                          job.max_retry_times);
  } else {
    out.reason = message;
  }
  return out;
}

}  // namespace lts::jobtracker
