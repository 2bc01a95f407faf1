// TimerQueue: the timers of one EventLoop (internal to net/; use EventLoop::RunAt,
// RunAfter, RunEvery and Cancel).
//
// Time is CLOCK_MONOTONIC in microseconds (MonotonicMicros(), the same clock as
// SystemClock::MonotonicMicros()). The timers live in a TimerHeap; one timerfd per loop
// is armed (absolute time) for the earliest expiry, so the loop's epoll_wait needs no
// timeout arithmetic and a timer added from another thread wakes the loop by itself.
//
// Thread contract: Add() and Cancel() may be called from any thread; they take a mutex
// held only for the O(log n) heap operation (never while a callback runs). Callbacks
// run on the loop thread, one at a time, in (expiry, insertion) order, and may add or
// cancel timers, including their own.
//
// Cancel semantics: after Cancel() returns the timer does not start again. If its
// callback is running on the loop thread at that moment (only possible when Cancel()
// is called from another thread) that run completes.
//
// Ownership: owned by its EventLoop; registers its timerfd Channel with that loop.

#pragma once

#include <cstddef>
#include <cstdint>

#include "base/mutex.h"
#include "net/callbacks.h"
#include "net/channel.h"
#include "net/timer_heap.h"
#include "net/timer_id.h"

namespace lts::net {

class EventLoop;

class TimerQueue {
 public:
  // REQUIRES: called on `loop`'s thread (its constructor). Aborts if timerfd_create fails.
  explicit TimerQueue(EventLoop* loop);
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  ~TimerQueue();

  // `expiry` in monotonic microseconds; `interval` > 0 repeats every `interval`
  // microseconds (fixed rate; ticks missed while the loop was busy are skipped, not
  // replayed in a burst). Thread-safe.
  TimerId Add(int64_t expiry, int64_t interval, TimerCallback callback) EXCLUDES(mu_);
  // Thread-safe; see the class comment.
  void Cancel(TimerId id) EXCLUDES(mu_);

  // Pending timers (not counting one that is running). Thread-safe.
  size_t size() const EXCLUDES(mu_);

 private:
  void HandleRead() EXCLUDES(mu_);
  // Arms the timerfd for `expiry` unless it is already armed at or before it.
  void ArmLocked(int64_t expiry) REQUIRES(mu_);

  EventLoop* const loop_;
  const int timerfd_;
  Channel channel_;

  mutable Mutex mu_;
  TimerHeap heap_ GUARDED_BY(mu_);
  // Expiry the timerfd is armed for; INT64_MAX when disarmed (or already fired).
  int64_t armed_expiry_ GUARDED_BY(mu_);
};

}  // namespace lts::net
