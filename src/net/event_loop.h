// EventLoop: the reactor at the heart of the network layer, one per thread (muduo's
// one-loop-per-thread).
//
// A loop waits on an epoll instance (EpollPoller) for its Channels, runs their
// handlers, then runs the functors other threads queued for it, and repeats until
// Quit(). Everything that belongs to a loop (its channels, its connections, its timers'
// callbacks) runs on the loop's thread, so that state needs no locks. Other threads
// reach the loop with RunInLoop()/QueueInLoop(), which wake it through an eventfd.
//
// Timers: RunAt/RunAfter/RunEvery schedule callbacks on CLOCK_MONOTONIC
// (MonotonicMicros()); one timerfd per loop is armed for the earliest timer; the timers
// themselves sit in a 4-ary heap with O(log n) insert and cancel (timer_heap.h).
//
// Thread contract: the loop belongs to the thread that constructs it (checked: at most
// one loop per thread). Loop(), UpdateChannel(), RemoveChannel() and the destructor run
// on that thread. Quit(), RunInLoop(), QueueInLoop(), RunInLoopAndWait(), the timer
// functions, IsInLoopThread() and queue_size() may be called from any thread.
//
// Destruction: destroy the loop on its thread after Loop() has returned, and after every
// object that registered channels with it has been stopped or destroyed (TcpServer,
// TcpClient; their connections unregister as they close). The destructor first runs
// the functors still queued (repeating until none are left), so work posted just before
// Quit(), such as a connection's final clean-up, still happens on this thread.
//
// Callbacks must not throw: an exception escaping a callback unwinds Loop() to the
// thread entry point, which logs it and aborts (style.md section 4).

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "net/callbacks.h"
#include "net/timer_id.h"

namespace lts::net {

class Channel;
class EpollPoller;
class TimerQueue;

// Microseconds on CLOCK_MONOTONIC: the time base of timers and of
// TcpConnection::last_receive_monotonic_micros(). Equal to
// SystemClock::MonotonicMicros() (steady_clock is CLOCK_MONOTONIC on Linux).
int64_t MonotonicMicros();

class EventLoop {
 public:
  using Functor = std::function<void()>;

  // Binds the loop to the calling thread. Aborts if the thread already has a loop, or
  // if the epoll/eventfd/timerfd descriptors cannot be created.
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  // REQUIRES: on the loop's thread, not inside Loop().
  ~EventLoop();

  // Runs the loop until Quit(). REQUIRES: on the loop's thread, not already looping.
  // A Quit() that came before Loop() makes it return at once.
  void Loop();

  // Makes Loop() return after the current iteration (the handlers of the current poll
  // and the queued functors still run). Thread-safe.
  void Quit();

  // Runs `cb` now if called on the loop thread, otherwise queues it (QueueInLoop).
  void RunInLoop(Functor cb);
  // Queues `cb` to run on the loop thread after the current handlers; functors run in
  // the order they were queued. Thread-safe; wakes the loop when needed.
  void QueueInLoop(Functor cb);
  // Runs `cb` on the loop thread and blocks until it has run. On the loop thread it
  // just calls `cb`. REQUIRES: from another thread, the loop is running or about to be
  // (or will be destroyed: the destructor drains queued functors), else this blocks
  // forever.
  void RunInLoopAndWait(Functor cb);

  // Queued functors not yet run. Thread-safe.
  size_t queue_size() const EXCLUDES(mu_);

  // Runs `cb` on the loop thread at `monotonic_micros` (MonotonicMicros() time; a time
  // in the past runs at the next iteration). Thread-safe.
  TimerId RunAt(int64_t monotonic_micros, TimerCallback cb);
  // Runs `cb` once after `delay`. Thread-safe.
  TimerId RunAfter(std::chrono::microseconds delay, TimerCallback cb);
  // Runs `cb` every `interval`, first after one interval, until cancelled. Fixed rate:
  // ticks missed while the loop was busy are skipped, not run in a burst.
  // REQUIRES: interval > 0. Thread-safe.
  TimerId RunEvery(std::chrono::microseconds interval, TimerCallback cb);
  // Cancels a timer; the callback does not start after Cancel() returns (a run already
  // in progress on the loop thread completes). Unknown, fired or invalid ids are
  // ignored. Thread-safe; a callback may cancel its own timer.
  void Cancel(TimerId id);
  // Pending timers. Thread-safe.
  size_t timer_count() const;

  // For Channel. Loop thread only.
  void UpdateChannel(Channel* channel);
  void RemoveChannel(Channel* channel);

  bool IsInLoopThread() const { return thread_id_ == std::this_thread::get_id(); }
  // Aborts with a message unless called on the loop thread.
  void AssertInLoopThread() const;

  // True while Loop() runs (possibly still false just after Loop() was called on
  // another thread). Thread-safe.
  bool looping() const { return looping_.load(std::memory_order_acquire); }
  // Completed poll iterations. Thread-safe.
  uint64_t iteration() const { return iteration_.load(std::memory_order_relaxed); }

  // The loop of the calling thread, or null.
  static EventLoop* GetEventLoopOfCurrentThread();

 private:
  void Wakeup();
  void HandleWakeup();
  void DoPendingFunctors() EXCLUDES(mu_);

  const std::thread::id thread_id_;
  std::atomic<bool> looping_{false};
  std::atomic<bool> quit_{false};
  std::atomic<uint64_t> iteration_{0};
  bool event_handling_ = false;  // Loop thread only: inside the handlers of a poll.

  // Declaration order matters: channels registered by the members below are removed in
  // their destructors, which run before the poller's.
  std::unique_ptr<EpollPoller> poller_;
  const int wakeup_fd_;
  std::unique_ptr<Channel> wakeup_channel_;
  std::unique_ptr<TimerQueue> timer_queue_;

  std::vector<Channel*> active_channels_;  // Entries removed mid-iteration become null.
  Channel* current_channel_ = nullptr;

  mutable Mutex mu_;
  std::vector<Functor> pending_functors_ GUARDED_BY(mu_);
};

}  // namespace lts::net
