// Invariant checks: LTS_CHECK, LTS_DCHECK, LTS_CHECK_OK and LTS_FATAL.
//
// A failed check is a bug in our code, not a runtime condition: it writes
// "F <file>:<line>] Check failed: <condition> <message>" to stderr (and to the log file
// or sink, when logging.h has one configured), then aborts. Failures that can happen in
// a correct program (bad input, I/O, network) return Status instead (style.md section 4).
//
//   LTS_CHECK(slot < slots_.size()) << "slot " << slot << " of " << slots_.size();
//   LTS_DCHECK(IsSorted(keys));          // Debug builds only (NDEBUG unset).
//   LTS_CHECK_OK(store.Open());          // The Status must be OK.
//   LTS_FATAL() << "unknown state " << static_cast<int>(state);  // Unreachable code.
//
// The streamed message is only evaluated when the check fails. LTS_DCHECK compiles its
// condition and message in every build but evaluates neither when NDEBUG is defined.
//
// Thread safety: the macros may be used from any thread.

#pragma once

#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

#include "lts/status.h"
#include "lts/statusor.h"

#define LTS_CHECK(condition)                                                               \
  __builtin_expect(static_cast<bool>(condition), 1)                                        \
      ? static_cast<void>(0)                                                               \
      : ::lts::internal::CheckVoidify() &                                                  \
            ::lts::internal::CheckFailure(__FILE__, __LINE__, "Check failed: " #condition) \
                .stream()

#ifdef NDEBUG
#define LTS_DCHECK(condition) LTS_CHECK(true || (condition))
#else
#define LTS_DCHECK(condition) LTS_CHECK(condition)
#endif

// `expr` is a Status or a StatusOr<T>; the failure message includes its status.
#define LTS_CHECK_OK(expr)                                                                       \
  while (std::unique_ptr<std::string> lts_check_ok_error_ = ::lts::internal::CheckOkError(expr)) \
  ::lts::internal::CheckFailure(__FILE__, __LINE__, "Check failed: LTS_CHECK_OK(" #expr ")",     \
                                *lts_check_ok_error_)                                            \
      .stream()

// Always fails: for states the code must never reach.
#define LTS_FATAL()                 \
  ::lts::internal::CheckVoidify() & \
      ::lts::internal::CheckFailure(__FILE__, __LINE__, "Fatal:").stream()

namespace lts::internal {

// Collects the message of one failed check; its destructor reports it and aborts.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, std::string_view what);
  CheckFailure(const char* file, int line, std::string_view what, std::string_view status);
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  [[noreturn]] ~CheckFailure();

  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Gives the `cond ? void : stream` expression in LTS_CHECK a void second branch.
// `&` binds looser than `<<` and tighter than `?:`.
struct CheckVoidify {
  void operator&(std::ostream&) {}
};

// Null for OK; otherwise the status text, owned by the LTS_CHECK_OK loop variable.
inline std::unique_ptr<std::string> CheckOkError(const Status& status) {
  if (status.ok()) return nullptr;
  return std::make_unique<std::string>(status.ToString());
}
template <typename T>
std::unique_ptr<std::string> CheckOkError(const StatusOr<T>& status_or) {
  return CheckOkError(status_or.status());
}

}  // namespace lts::internal
