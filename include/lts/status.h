// lts::Status: the result of an operation that can fail, for the SDK and every module.
//
// A Status holds a code and a message. OK is represented by a null pointer, so
// returning and testing an OK Status costs one pointer (leveldb's layout). Our code
// never throws; failures travel as Status or StatusOr<T> (statusor.h).
//
// Thread safety: a Status is a value; distinct objects may be used from any thread.

#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace lts {

// Failure kinds. The wire (rpc/) and HTTP (admin/) mappings each live in one table.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kInvalidArgument = 2,
  kDeadlineExceeded = 3,
  kNotFound = 4,
  kAlreadyExists = 5,
  kResourceExhausted = 6,
  kFailedPrecondition = 7,
  kAborted = 8,
  kUnavailable = 9,
  kInternal = 10,
  kNotSupported = 11,
  kCorruption = 12,
  kIOError = 13,
  // Job outcome: a user JobRunner threw. Mapped to JobAction::kExecuteException.
  kExecuteException = 14,
};

// The stable upper-case name of a code ("INVALID_ARGUMENT"); "UNKNOWN" for values
// outside the enum.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;  // OK.
  Status(StatusCode code, std::string_view message);

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // Empty for OK.
  std::string_view message() const { return rep_ ? std::string_view(rep_->message) : ""; }

  // "OK" or "INVALID_ARGUMENT: <message>".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK. Layers
  // below add context this way ("txlog 000042: checksum mismatch at offset 8192").
  Status WithContext(std::string_view context) const;

  // Marks a deliberately ignored Status, for the rare call whose failure is harmless.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::unique_ptr<Rep> rep_;
};

// Shorthands: lts::InvalidArgument("taskId: empty").
Status Cancelled(std::string_view message);
Status InvalidArgument(std::string_view message);
Status DeadlineExceeded(std::string_view message);
Status NotFound(std::string_view message);
Status AlreadyExists(std::string_view message);
Status ResourceExhausted(std::string_view message);
Status FailedPrecondition(std::string_view message);
Status Aborted(std::string_view message);
Status Unavailable(std::string_view message);
Status Internal(std::string_view message);
Status NotSupported(std::string_view message);
Status Corruption(std::string_view message);
Status IOError(std::string_view message);

}  // namespace lts

// Returns from the current function if `expr` (a Status) is not OK.
#define LTS_RETURN_IF_ERROR(expr)             \
  do {                                        \
    ::lts::Status lts_status_macro_ = (expr); \
    if (!lts_status_macro_.ok()) {            \
      return lts_status_macro_;               \
    }                                         \
  } while (false)
