// lts::StatusOr<T>: either a value of type T or a non-OK Status (abseil's shape).
//
//   StatusOr<Job> job = Job::FromJson(text);
//   if (!job.ok()) return job.status();
//   Use(*job);
//
// Accessing the value of a non-OK StatusOr aborts the process with the status in the
// message: it is a programming error, not a recoverable failure.
//
// Thread safety: a value type; distinct objects may be used from any thread.

#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>

#include "lts/status.h"

namespace lts {

template <typename T>
class [[nodiscard]] StatusOr {
  static_assert(!std::is_same_v<std::remove_cvref_t<T>, Status>, "StatusOr<Status> is not allowed");

 public:
  // REQUIRES: !status.ok(). An OK status becomes kInternal, since there is no value.
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "StatusOr built from OK status");
  }
  StatusOr(const T& value) : value_(value) {}        // NOLINT: implicit by design
  StatusOr(T&& value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
           !std::is_same_v<std::remove_cvref_t<U>, Status> &&
           !std::is_same_v<std::remove_cvref_t<U>, StatusOr>) StatusOr(U&& value)
      : value_(std::forward<U>(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  const T& value() const& {
    CheckOk();
    return *value_;
  }
  T& value() & {
    CheckOk();
    return *value_;
  }
  T&& value() && {
    CheckOk();
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The value, or `fallback` when not OK.
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void CheckOk() const {
    if (!status_.ok()) {
      std::fprintf(stderr, "StatusOr::value() on error: %s\n", status_.ToString().c_str());
      std::abort();
    }
  }

  Status status_;
  std::optional<T> value_;
};

}  // namespace lts

#define LTS_STATUS_CONCAT_INNER_(a, b) a##b
#define LTS_STATUS_CONCAT_(a, b) LTS_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (a StatusOr<T>); on error returns its Status from the current
// function, otherwise moves the value into `lhs` (which may be a declaration:
// LTS_ASSIGN_OR_RETURN(auto job, Job::FromJson(text));).
#define LTS_ASSIGN_OR_RETURN(lhs, rexpr) \
  LTS_ASSIGN_OR_RETURN_IMPL_(LTS_STATUS_CONCAT_(lts_statusor_, __LINE__), lhs, rexpr)
#define LTS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                               \
  if (!tmp.ok()) {                                  \
    return std::move(tmp).status();                 \
  }                                                 \
  lhs = std::move(tmp).value()
