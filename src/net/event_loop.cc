#include "net/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "base/check.h"
#include "base/logging.h"
#include "base/signals.h"
#include "net/channel.h"
#include "net/epoll_poller.h"
#include "net/timer_queue.h"

namespace lts::net {
namespace {

thread_local EventLoop* t_loop_in_this_thread = nullptr;

// epoll_wait never needs to wake for timers (the timerfd does that); the timeout only
// bounds how long a lost wake-up, which would be a bug, could stall the loop.
constexpr int kPollTimeoutMs = 10000;

// Rounds of queued functors the destructor runs before giving up on a functor that
// keeps re-queueing itself.
constexpr int kMaxDrainRounds = 1000;

int CreateEventFd() {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  LTS_CHECK(fd >= 0) << "eventfd: " << std::strerror(errno);
  return fd;
}

}  // namespace

int64_t MonotonicMicros() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

EventLoop::EventLoop()
    : thread_id_(std::this_thread::get_id()),
      poller_(std::make_unique<EpollPoller>(this)),
      wakeup_fd_(CreateEventFd()),
      wakeup_channel_(std::make_unique<Channel>(this, wakeup_fd_)) {
  LTS_CHECK(t_loop_in_this_thread == nullptr) << "a second EventLoop on one thread";
  t_loop_in_this_thread = this;
  IgnoreSigPipe();
  wakeup_channel_->SetReadCallback([this] { HandleWakeup(); });
  wakeup_channel_->EnableReading();
  timer_queue_ = std::make_unique<TimerQueue>(this);
}

EventLoop::~EventLoop() {
  AssertInLoopThread();
  LTS_CHECK(!looping_.load()) << "EventLoop destroyed while looping";
  // Work queued before the loop stopped (a connection's last clean-up, a release of a
  // shared_ptr) must still run here, on the loop thread.
  for (int round = 0; round < kMaxDrainRounds; ++round) {
    {
      MutexLock lock(&mu_);
      if (pending_functors_.empty()) break;
    }
    DoPendingFunctors();
  }
  timer_queue_.reset();
  wakeup_channel_->DisableAll();
  wakeup_channel_->Remove();
  wakeup_channel_.reset();
  ::close(wakeup_fd_);
  t_loop_in_this_thread = nullptr;
}

EventLoop* EventLoop::GetEventLoopOfCurrentThread() { return t_loop_in_this_thread; }

void EventLoop::AssertInLoopThread() const {
  LTS_CHECK(IsInLoopThread()) << "EventLoop used outside its thread";
}

void EventLoop::Loop() {
  AssertInLoopThread();
  LTS_CHECK(!looping_.load()) << "EventLoop::Loop() re-entered";
  looping_.store(true, std::memory_order_release);
  while (!quit_.load(std::memory_order_acquire)) {
    active_channels_.clear();
    poller_->Poll(kPollTimeoutMs, &active_channels_);
    event_handling_ = true;
    for (Channel* channel : active_channels_) {
      if (channel == nullptr) continue;  // Removed by an earlier handler this round.
      current_channel_ = channel;
      channel->HandleEvent();
    }
    current_channel_ = nullptr;
    event_handling_ = false;
    DoPendingFunctors();
    iteration_.fetch_add(1, std::memory_order_relaxed);
  }
  looping_.store(false, std::memory_order_release);
  quit_.store(false, std::memory_order_release);
}

void EventLoop::Quit() {
  quit_.store(true, std::memory_order_release);
  if (!IsInLoopThread()) Wakeup();
}

void EventLoop::RunInLoop(Functor cb) {
  if (IsInLoopThread()) {
    cb();
  } else {
    QueueInLoop(std::move(cb));
  }
}

void EventLoop::QueueInLoop(Functor cb) {
  bool was_empty;
  {
    MutexLock lock(&mu_);
    was_empty = pending_functors_.empty();
    pending_functors_.push_back(std::move(cb));
  }
  // From another thread, one eventfd write per batch is enough: a non-empty queue means
  // whoever made it non-empty has woken the loop already (the loop takes the whole
  // queue at once). On the loop thread no wake-up is needed while handlers run, since
  // the queue is drained right after them; anywhere else (inside a queued functor,
  // before Loop()) the next poll must not block.
  const bool wake = IsInLoopThread() ? !event_handling_ : was_empty;
  if (wake) Wakeup();
}

void EventLoop::RunInLoopAndWait(Functor cb) {
  if (IsInLoopThread()) {
    cb();
    return;
  }
  // Shared, so the loop thread may signal after this thread has returned.
  struct Latch {
    Mutex mu;
    CondVar cv;
    bool done GUARDED_BY(mu) = false;
  };
  auto latch = std::make_shared<Latch>();
  QueueInLoop([latch, cb = std::move(cb)] {
    cb();
    MutexLock lock(&latch->mu);
    latch->done = true;
    latch->cv.SignalAll();
  });
  MutexLock lock(&latch->mu);
  while (!latch->done) latch->cv.Wait(&latch->mu);
}

size_t EventLoop::queue_size() const {
  MutexLock lock(&mu_);
  return pending_functors_.size();
}

TimerId EventLoop::RunAt(int64_t monotonic_micros, TimerCallback cb) {
  return timer_queue_->Add(monotonic_micros, 0, std::move(cb));
}

TimerId EventLoop::RunAfter(std::chrono::microseconds delay, TimerCallback cb) {
  return RunAt(MonotonicMicros() + delay.count(), std::move(cb));
}

TimerId EventLoop::RunEvery(std::chrono::microseconds interval, TimerCallback cb) {
  LTS_CHECK(interval.count() > 0) << "RunEvery interval " << interval.count() << " us";
  return timer_queue_->Add(MonotonicMicros() + interval.count(), interval.count(), std::move(cb));
}

void EventLoop::Cancel(TimerId id) { timer_queue_->Cancel(id); }

size_t EventLoop::timer_count() const { return timer_queue_->size(); }

void EventLoop::UpdateChannel(Channel* channel) {
  LTS_CHECK(channel->owner_loop() == this);
  AssertInLoopThread();
  poller_->UpdateChannel(channel);
}

void EventLoop::RemoveChannel(Channel* channel) {
  LTS_CHECK(channel->owner_loop() == this);
  AssertInLoopThread();
  if (event_handling_ && channel != current_channel_) {
    // The channel may still be waiting in this round's active list, and its owner may
    // destroy it right after this call: make sure the round skips it.
    std::replace(active_channels_.begin(), active_channels_.end(), channel,
                 static_cast<Channel*>(nullptr));
  }
  poller_->RemoveChannel(channel);
}

void EventLoop::Wakeup() {
  const uint64_t one = 1;
  const ssize_t n = ::write(wakeup_fd_, &one, sizeof(one));
  // EAGAIN means the counter is saturated: the loop is awake anyway.
  if (n != sizeof(one) && errno != EAGAIN) {
    LTS_LOG(ERROR, "eventfd write: {}", std::strerror(errno));
  }
}

void EventLoop::HandleWakeup() {
  uint64_t value;
  [[maybe_unused]] const ssize_t n = ::read(wakeup_fd_, &value, sizeof(value));
}

void EventLoop::DoPendingFunctors() {
  std::vector<Functor> functors;
  {
    MutexLock lock(&mu_);
    functors.swap(pending_functors_);
  }
  for (Functor& functor : functors) functor();
}

}  // namespace lts::net
