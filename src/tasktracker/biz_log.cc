// JobBizLogger and CleanText (tasktracker/biz_log.h).

#include "tasktracker/biz_log.h"

#include <utility>

#include "protocol/messages.h"

namespace lts {

std::string_view BizLogLevelName(BizLogLevel level) {
  switch (level) {
    case BizLogLevel::kDebug:
      return "DEBUG";
    case BizLogLevel::kInfo:
      return "INFO";
    case BizLogLevel::kWarn:
      return "WARN";
    case BizLogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

namespace tasktracker {
namespace {

// Length of the well-formed UTF-8 sequence at text[i], or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // No overlong forms.
    if (c == 0xED) hi = 0x9F;  // No surrogates.
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // <= U+10FFFF.
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::string CleanText(std::string_view text, size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = Utf8SequenceLength(text, i);
    const std::string_view piece = n == 0 ? kReplacement : text.substr(i, n);
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
    i += n == 0 ? 1 : n;
  }
  return out;
}

JobBizLogger::JobBizLogger(std::string job_id, std::string node_group, std::string task_id,
                           BizLogLevel min_level, Outbox* outbox, const Clock* clock)
    : job_id_(std::move(job_id)),
      node_group_(std::move(node_group)),
      task_id_(std::move(task_id)),
      min_level_(min_level),
      outbox_(outbox),
      clock_(clock) {}

void JobBizLogger::Log(BizLogLevel level, std::string_view message) {
  if (static_cast<int>(level) < static_cast<int>(min_level_)) return;
  protocol::BizLogLine line;
  line.job_id = job_id_;
  line.node_group = node_group_;
  line.task_id = task_id_;
  line.time_ms = clock_->NowMicros() / 1000;
  line.level = static_cast<int32_t>(level);
  line.message = CleanText(message, kMaxBizLogLineBytes);
  outbox_->Add(line.ToJson().dump());
}

}  // namespace tasktracker
}  // namespace lts
