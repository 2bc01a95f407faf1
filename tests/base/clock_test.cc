#include "base/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "base/fake_clock.h"

namespace lts {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

TEST(SystemClockTest, NowMicrosIsWallClockTimeSinceTheEpoch) {
  const int64_t before =
      std::chrono::duration_cast<microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const int64_t now = SystemClock::Default()->NowMicros();
  const int64_t after =
      std::chrono::duration_cast<microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(SystemClockTest, MonotonicMicrosNeverDecreases) {
  const Clock* clock = SystemClock::Default();
  int64_t previous = clock->MonotonicMicros();
  for (int i = 0; i < 10000; ++i) {
    const int64_t current = clock->MonotonicMicros();
    ASSERT_GE(current, previous);
    previous = current;
  }
}

TEST(SystemClockTest, DefaultIsOneSharedInstance) {
  EXPECT_EQ(SystemClock::Default(), SystemClock::Default());
}

TEST(FakeClockTest, StartsAtTheGivenTimes) {
  FakeClock clock(/*now_micros=*/5'000'000, /*monotonic_micros=*/7);
  EXPECT_EQ(5'000'000, clock.NowMicros());
  EXPECT_EQ(7, clock.MonotonicMicros());
}

TEST(FakeClockTest, DefaultStartIsNewYear2024) {
  FakeClock clock;
  EXPECT_EQ(FakeClock::kDefaultStartMicros, clock.NowMicros());
  EXPECT_GT(clock.MonotonicMicros(), 0);
}

TEST(FakeClockTest, AdvanceMovesWallAndMonotonicTogether) {
  FakeClock clock;
  const int64_t wall = clock.NowMicros();
  const int64_t monotonic = clock.MonotonicMicros();
  clock.Advance(seconds(30));
  EXPECT_EQ(wall + 30'000'000, clock.NowMicros());
  EXPECT_EQ(monotonic + 30'000'000, clock.MonotonicMicros());
}

TEST(FakeClockTest, SettingWallTimeForwardAdvancesMonotonicByTheSameAmount) {
  FakeClock clock(1'000, 50);
  clock.SetNowMicros(4'000);
  EXPECT_EQ(4'000, clock.NowMicros());
  EXPECT_EQ(3'050, clock.MonotonicMicros());
}

TEST(FakeClockTest, SettingWallTimeBackwardLeavesMonotonicUnchanged) {
  FakeClock clock(10'000, 50);
  clock.SetNowMicros(2'000);
  EXPECT_EQ(2'000, clock.NowMicros());
  EXPECT_EQ(50, clock.MonotonicMicros());
}

TEST(FakeClockTest, ConcurrentAdvancesAreAllApplied) {
  FakeClock clock(0, 0);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&clock] {
        for (int i = 0; i < 1000; ++i) clock.Advance(microseconds(1));
      });
    }
  }
  EXPECT_EQ(4000, clock.NowMicros());
  EXPECT_EQ(4000, clock.MonotonicMicros());
}

TEST(FakeClockTest, UsableThroughTheClockInterface) {
  FakeClock fake(100, 200);
  const Clock& clock = fake;
  fake.Advance(microseconds(1));
  EXPECT_EQ(101, clock.NowMicros());
  EXPECT_EQ(201, clock.MonotonicMicros());
}

TEST(FakeClockDeathTest, AdvancingBackwardIsABug) {
  FakeClock clock;
  EXPECT_DEATH(clock.Advance(microseconds(-1)), "cannot go back in time");
}

}  // namespace
}  // namespace lts
