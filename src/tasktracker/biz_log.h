// Business logging on a TaskTracker: the per-run BizLogger (JobContext::biz_logger()) and
// the text rules every log line follows.
//
// Each run gets its own JobBizLogger bound to its job id (never shared between runs:
// Java bug 9). Lines go to the TaskTracker's business-log Outbox, which batches them into
// BIZ_LOG_SEND messages (every ~200 ms or 100 lines) and keeps them in the bizlog
// FailStore while no JobTracker takes them.
//
// Thread safety: JobBizLogger::Log() may be called from any thread.

#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "lts/job_context.h"
#include "tasktracker/outbox.h"

namespace lts::tasktracker {

// Longest business log line, in bytes (protocol::kMaxMessageText).
inline constexpr size_t kMaxBizLogLineBytes = 64 * 1024;

// `text` as valid UTF-8 (each invalid byte becomes U+FFFD), cut to at most `max_bytes`
// on a character boundary.
std::string CleanText(std::string_view text, size_t max_bytes);

class JobBizLogger : public BizLogger {
 public:
  // `outbox` and `clock` are not owned and must outlive the logger.
  JobBizLogger(std::string job_id, std::string node_group, std::string task_id,
               BizLogLevel min_level, Outbox* outbox, const Clock* clock);

  void Log(BizLogLevel level, std::string_view message) override;

 private:
  const std::string job_id_;
  const std::string node_group_;
  const std::string task_id_;
  const BizLogLevel min_level_;
  Outbox* const outbox_;
  const Clock* const clock_;
};

}  // namespace lts::tasktracker
