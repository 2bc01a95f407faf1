#include "net/timer_queue.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "base/check.h"
#include "base/logging.h"
#include "net/event_loop.h"

namespace lts::net {
namespace {

int CreateTimerFd() {
  const int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  LTS_CHECK(fd >= 0) << "timerfd_create: " << std::strerror(errno);
  return fd;
}

}  // namespace

TimerQueue::TimerQueue(EventLoop* loop)
    : loop_(loop),
      timerfd_(CreateTimerFd()),
      channel_(loop, timerfd_),
      armed_expiry_(std::numeric_limits<int64_t>::max()) {
  channel_.SetReadCallback([this] { HandleRead(); });
  channel_.EnableReading();
}

TimerQueue::~TimerQueue() {
  channel_.DisableAll();
  channel_.Remove();
  ::close(timerfd_);
}

TimerId TimerQueue::Add(int64_t expiry, int64_t interval, TimerCallback callback) {
  MutexLock lock(&mu_);
  const TimerId id = heap_.Add(expiry, interval, std::move(callback));
  ArmLocked(expiry);
  return id;
}

void TimerQueue::Cancel(TimerId id) {
  // Leaves the timerfd armed even if this was the earliest timer: the wake-up then finds
  // nothing due and re-arms for the new earliest, cheaper than a syscall per cancel.
  MutexLock lock(&mu_);
  heap_.Cancel(id);
}

size_t TimerQueue::size() const {
  MutexLock lock(&mu_);
  return heap_.size();
}

void TimerQueue::ArmLocked(int64_t expiry) {
  if (expiry >= armed_expiry_) return;
  armed_expiry_ = expiry;
  // An all-zero it_value would disarm the timer; a time in the past fires at once.
  const int64_t micros = expiry > 0 ? expiry : 1;
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(micros / 1000000);
  spec.it_value.tv_nsec = static_cast<long>((micros % 1000000) * 1000);
  if (::timerfd_settime(timerfd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    LTS_FATAL() << "timerfd_settime: " << std::strerror(errno);
  }
}

void TimerQueue::HandleRead() {
  loop_->AssertInLoopThread();
  uint64_t expirations;
  // EAGAIN (a spurious wake-up) is fine: the heap decides what is due.
  [[maybe_unused]] const ssize_t n = ::read(timerfd_, &expirations, sizeof(expirations));

  const int64_t now = MonotonicMicros();
  mu_.Lock();
  armed_expiry_ = std::numeric_limits<int64_t>::max();  // The timerfd has fired.
  TimerHeap::Expired expired;
  // Only timers due at `now` run in this round: a repeating timer re-added below is due
  // after `now`, so a short interval cannot keep this loop busy forever.
  while (heap_.PopExpired(now, &expired)) {
    mu_.Unlock();
    expired.callback();
    mu_.Lock();
    int64_t next = 0;
    if (expired.interval > 0) {
      next = expired.expiry + expired.interval;
      if (next <= now) next = now + expired.interval;
    }
    heap_.Finish(expired.id, std::move(expired.callback), next);
  }
  if (!heap_.empty()) ArmLocked(heap_.earliest());
  mu_.Unlock();
}

}  // namespace lts::net
