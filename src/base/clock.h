// Clock: the injected source of time. Scheduling code never reads
// std::chrono::system_clock directly; it asks a Clock, so that tests can drive a
// FakeClock (base/fake_clock.h) and check timing without sleeping.
//
// Two readings, both in microseconds:
//  - NowMicros(): wall-clock time since the Unix epoch. Can jump (NTP, an operator);
//    use it for timestamps that leave the process and for cron fire times.
//  - MonotonicMicros(): never decreases, from an arbitrary origin. Use it for timeouts,
//    intervals and deadlines inside the process.
//
// Thread safety: implementations must allow concurrent calls from any thread.

#pragma once

#include <cstdint>

namespace lts {

class Clock {
 public:
  virtual ~Clock() = default;

  // Wall-clock time: microseconds since 1970-01-01T00:00:00Z.
  virtual int64_t NowMicros() const = 0;

  // Monotonic time: microseconds since an arbitrary, fixed origin; never decreases.
  virtual int64_t MonotonicMicros() const = 0;
};

// The real clocks: std::chrono::system_clock and std::chrono::steady_clock.
class SystemClock final : public Clock {
 public:
  // The process-wide instance: never destroyed, so it may be used at any time,
  // including by static destructors. Not owned by the caller.
  static Clock* Default();

  int64_t NowMicros() const override;
  int64_t MonotonicMicros() const override;
};

}  // namespace lts
