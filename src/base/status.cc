#include "lts/status.h"

#include <array>

namespace lts {

std::string_view StatusCodeName(StatusCode code) {
  static constexpr std::array<std::string_view, 15> kNames = {
      "OK",         "CANCELLED",      "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND",  "ALREADY_EXISTS", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",    "UNAVAILABLE",    "INTERNAL",           "NOT_SUPPORTED",
      "CORRUPTION", "IO_ERROR",       "EXECUTE_EXCEPTION"};
  auto index = static_cast<size_t>(code);
  return index < kNames.size() ? kNames[index] : "UNKNOWN";
}

Status::Status(StatusCode code, std::string_view message) {
  if (code != StatusCode::kOk) rep_ = std::make_unique<Rep>(Rep{code, std::string(message)});
}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(rep_->code));
  if (!rep_->message.empty()) {
    out += ": ";
    out += rep_->message;
  }
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return Status();
  std::string message(context);
  message += ": ";
  message += rep_->message;
  return Status(rep_->code, message);
}

Status Cancelled(std::string_view m) { return Status(StatusCode::kCancelled, m); }
Status InvalidArgument(std::string_view m) { return Status(StatusCode::kInvalidArgument, m); }
Status DeadlineExceeded(std::string_view m) { return Status(StatusCode::kDeadlineExceeded, m); }
Status NotFound(std::string_view m) { return Status(StatusCode::kNotFound, m); }
Status AlreadyExists(std::string_view m) { return Status(StatusCode::kAlreadyExists, m); }
Status ResourceExhausted(std::string_view m) { return Status(StatusCode::kResourceExhausted, m); }
Status FailedPrecondition(std::string_view m) { return Status(StatusCode::kFailedPrecondition, m); }
Status Aborted(std::string_view m) { return Status(StatusCode::kAborted, m); }
Status Unavailable(std::string_view m) { return Status(StatusCode::kUnavailable, m); }
Status Internal(std::string_view m) { return Status(StatusCode::kInternal, m); }
Status NotSupported(std::string_view m) { return Status(StatusCode::kNotSupported, m); }
Status Corruption(std::string_view m) { return Status(StatusCode::kCorruption, m); }
Status IOError(std::string_view m) { return Status(StatusCode::kIOError, m); }

}  // namespace lts
