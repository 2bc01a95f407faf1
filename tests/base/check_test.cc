#include "base/check.h"

#include <gtest/gtest.h>

#include "lts/status.h"
#include "lts/statusor.h"

namespace lts {
namespace {

int CountingTrue(int* calls) {
  ++*calls;
  return 1;
}

// A function whose last statement is LTS_FATAL(): compiles without -Wreturn-type,
// because the failure path is known not to return.
int Unreachable(int x) {
  if (x > 0) return x;
  LTS_FATAL() << "x must be positive, got " << x;
}

TEST(CheckTest, PassingCheckDoesNotEvaluateTheMessage) {
  int message_evaluations = 0;
  auto message = [&] {
    ++message_evaluations;
    return "unused";
  };
  LTS_CHECK(1 + 1 == 2) << message();
  EXPECT_EQ(0, message_evaluations);
}

TEST(CheckTest, ConditionIsEvaluatedExactlyOnce) {
  int calls = 0;
  LTS_CHECK(CountingTrue(&calls) == 1);
  EXPECT_EQ(1, calls);
}

TEST(CheckTest, CheckWorksAsTheBodyOfAnIfWithElse) {
  // The macro must not capture a following `else`.
  bool took_else = false;
  if (false)
    LTS_CHECK(true) << "not reached";
  else
    took_else = true;
  EXPECT_TRUE(took_else);
}

TEST(CheckDeathTest, FailedCheckPrintsLocationConditionAndMessage) {
  const int slots = 3;
  EXPECT_DEATH(LTS_CHECK(slots > 5) << "need " << 6 << " slots",
               "F check_test.cc:[0-9]+\\] Check failed: slots > 5 need 6 slots");
}

TEST(CheckDeathTest, CheckOkAbortsWithTheStatus) {
  EXPECT_DEATH(LTS_CHECK_OK(NotFound("job 42")) << "while loading",
               "Check failed: LTS_CHECK_OK\\(NotFound\\(\"job 42\"\\)\\) NOT_FOUND: job 42 "
               "while loading");
}

TEST(CheckDeathTest, CheckOkAcceptsAStatusOr) {
  StatusOr<int> bad = InvalidArgument("bad port");
  EXPECT_DEATH(LTS_CHECK_OK(bad), "INVALID_ARGUMENT: bad port");
}

TEST(CheckTest, CheckOkPassesForOkStatusAndValue) {
  LTS_CHECK_OK(Status::Ok()) << "not printed";
  StatusOr<int> good = 7;
  LTS_CHECK_OK(good);
  SUCCEED();
}

TEST(CheckDeathTest, FatalAlwaysAborts) {
  EXPECT_EQ(3, Unreachable(3));
  EXPECT_DEATH(Unreachable(-1), "Fatal: x must be positive, got -1");
}

#ifdef NDEBUG
TEST(CheckTest, DcheckEvaluatesNothingInReleaseBuilds) {
  int calls = 0;
  LTS_DCHECK(CountingTrue(&calls) == 0) << "not evaluated";
  EXPECT_EQ(0, calls);
}
#else
TEST(CheckDeathTest, DcheckAbortsInDebugBuilds) {
  EXPECT_DEATH(LTS_DCHECK(1 == 2) << "debug", "Check failed: 1 == 2 debug");
}
#endif

}  // namespace
}  // namespace lts
