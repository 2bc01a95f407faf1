#include "base/clock.h"

#include <chrono>

#include "base/no_destructor.h"

namespace lts {

Clock* SystemClock::Default() {
  static NoDestructor<SystemClock> clock;
  return clock.get();
}

int64_t SystemClock::NowMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t SystemClock::MonotonicMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace lts
