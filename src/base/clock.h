// Clock (the interface is public: lts/clock.h) and SystemClock, the real one.
// Scheduling code never reads std::chrono::system_clock directly; it asks a Clock, so
// that tests can drive a FakeClock (base/fake_clock.h) and check timing without sleeping.

#pragma once

#include <cstdint>

#include "lts/clock.h"

namespace lts {

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
