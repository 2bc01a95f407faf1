// FakeClock: a Clock that moves only when told to, for tests of any module.
//
//   FakeClock clock;                        // 2024-01-01T00:00:00Z.
//   scheduler.Start(&clock);
//   clock.Advance(std::chrono::seconds(30));
//   EXPECT_EQ(1, runner.runs());
//
// Advance() moves the wall and monotonic readings together, as real time does.
// SetNowMicros() moves the wall clock to a given time: forwards, the monotonic clock
// moves by the same amount; backwards (an NTP step or an operator fixing the date), the
// monotonic clock stays put, since it never decreases.
//
// Thread safety: every method may be called from any thread; the two readings are
// updated together under one lock.

#pragma once

#include <chrono>
#include <cstdint>

#include "base/check.h"
#include "base/clock.h"
#include "base/mutex.h"

namespace lts {

class FakeClock final : public Clock {
 public:
  // 2024-01-01T00:00:00Z, in microseconds since the epoch.
  static constexpr int64_t kDefaultStartMicros = 1'704'067'200'000'000;

  // Starts at wall time `now_micros`; the monotonic reading starts at
  // `monotonic_micros` (nonzero by default, so code cannot mistake it for "unset").
  explicit FakeClock(int64_t now_micros = kDefaultStartMicros, int64_t monotonic_micros = 1'000'000)
      : now_micros_(now_micros), monotonic_micros_(monotonic_micros) {}

  int64_t NowMicros() const override {
    MutexLock lock(&mu_);
    return now_micros_;
  }

  int64_t MonotonicMicros() const override {
    MutexLock lock(&mu_);
    return monotonic_micros_;
  }

  // Moves both readings forward by `delta`. REQUIRES: delta >= 0.
  void Advance(std::chrono::microseconds delta) {
    LTS_CHECK(delta.count() >= 0) << "FakeClock cannot go back in time: " << delta.count();
    MutexLock lock(&mu_);
    now_micros_ += delta.count();
    monotonic_micros_ += delta.count();
  }

  // Sets the wall clock; the monotonic clock follows forward moves only.
  void SetNowMicros(int64_t now_micros) {
    MutexLock lock(&mu_);
    if (now_micros > now_micros_) monotonic_micros_ += now_micros - now_micros_;
    now_micros_ = now_micros;
  }

 private:
  mutable Mutex mu_;
  int64_t now_micros_ GUARDED_BY(mu_);        // Wall time, µs since the epoch.
  int64_t monotonic_micros_ GUARDED_BY(mu_);  // Never decreases.
};

}  // namespace lts
