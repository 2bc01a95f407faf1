// TimerId: the handle EventLoop::RunAt/RunAfter/RunEvery return, for Cancel().
//
// A default-constructed TimerId is invalid; cancelling it does nothing. An id stays
// harmless after its timer has fired or been cancelled: its slot's generation has moved
// on, so a late Cancel() cannot hit a newer timer that reuses the slot.
//
// Thread safety: a value type.

#pragma once

#include <cstdint>

namespace lts::net {

class TimerId {
 public:
  TimerId() = default;

  bool valid() const { return generation_ != 0; }

  friend bool operator==(const TimerId& a, const TimerId& b) = default;

 private:
  friend class TimerHeap;
  TimerId(uint32_t slot, uint32_t generation) : slot_(slot), generation_(generation) {}

  uint32_t slot_ = 0;
  uint32_t generation_ = 0;  // 0 = invalid; live timers have generation >= 1.
};

}  // namespace lts::net
