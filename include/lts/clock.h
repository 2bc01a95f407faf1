// Clock: the injected source of time (public SDK header). LTS code never reads
// std::chrono::system_clock directly; it asks a Clock, so that tests can drive a fake one
// and check timing without sleeping. SDK users may pass their own to
// TaskTracker::Options::clock; nullptr there means the real clocks.
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

}  // namespace lts
