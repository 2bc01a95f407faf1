// GoogleTest helpers for Status and StatusOr<T>.
//
//   EXPECT_OK(store.Put("k", "v"));
//   ASSERT_OK(config.status());
//   ASSERT_OK_AND_ASSIGN(Config config, Config::LoadString(text, "test.yaml"));
//   EXPECT_THAT(status, StatusIs(StatusCode::kInvalidArgument, HasSubstr("port")));
//
// Failure messages print the full status ("INVALID_ARGUMENT: ...").

#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <utility>

#include "lts/status.h"
#include "lts/statusor.h"

namespace lts {

// Lets GoogleTest print a Status ("OK" or "CODE: message") in failure messages.
inline void PrintTo(const Status& status, std::ostream* os) { *os << status.ToString(); }

namespace testing {

inline const Status& GetStatus(const Status& status) { return status; }
template <typename T>
const Status& GetStatus(const StatusOr<T>& status_or) {
  return status_or.status();
}

// Matches a Status or StatusOr<T> whose code is `code` and whose message matches
// `message_matcher` (a string or a gmock matcher such as HasSubstr("port")).
MATCHER_P2(StatusIs, code, message_matcher,
           std::string(negation ? "is not " : "is ") + std::string(StatusCodeName(code))) {
  const Status& status = ::lts::testing::GetStatus(arg);
  *result_listener << "whose status is " << status.ToString();
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

}  // namespace testing
}  // namespace lts

#define EXPECT_OK(expr) EXPECT_EQ("OK", ::lts::testing::GetStatus(expr).ToString())
#define ASSERT_OK(expr) ASSERT_EQ("OK", ::lts::testing::GetStatus(expr).ToString())

#define LTS_TESTING_CONCAT_INNER_(a, b) a##b
#define LTS_TESTING_CONCAT_(a, b) LTS_TESTING_CONCAT_INNER_(a, b)

// ASSERT_OK_AND_ASSIGN(lhs, expr): asserts the StatusOr `expr` is OK and moves its value
// into `lhs` (which may be a declaration).
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(LTS_TESTING_CONCAT_(lts_status_or_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)   \
  auto tmp = (expr);                                 \
  ASSERT_EQ("OK", tmp.status().ToString()) << #expr; \
  lhs = std::move(tmp).value()
