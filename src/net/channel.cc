#include "net/channel.h"

#include <sys/epoll.h>

#include "base/check.h"
#include "net/event_loop.h"

namespace lts::net {
namespace {

constexpr uint32_t kReadEvents = EPOLLIN | EPOLLPRI;
constexpr uint32_t kWriteEvents = EPOLLOUT;

}  // namespace

Channel::Channel(EventLoop* loop, int fd) : loop_(loop), fd_(fd) {}

Channel::~Channel() {
  LTS_CHECK(!event_handling_) << "fd " << fd_ << ": channel destroyed by its own handler";
  LTS_CHECK(!added_to_loop_) << "fd " << fd_ << ": channel destroyed without Remove()";
}

void Channel::Tie(const std::shared_ptr<void>& owner) {
  tie_ = owner;
  tied_ = true;
}

void Channel::EnableReading() {
  events_ |= kReadEvents;
  Update();
}

void Channel::DisableReading() {
  events_ &= ~kReadEvents;
  Update();
}

void Channel::EnableWriting() {
  events_ |= kWriteEvents;
  Update();
}

void Channel::DisableWriting() {
  events_ &= ~kWriteEvents;
  Update();
}

void Channel::DisableAll() {
  events_ = 0;
  Update();
}

bool Channel::IsReading() const { return (events_ & kReadEvents) != 0; }

bool Channel::IsWriting() const { return (events_ & kWriteEvents) != 0; }

void Channel::Update() {
  added_to_loop_ = true;
  loop_->UpdateChannel(this);
}

void Channel::Remove() {
  if (!added_to_loop_) return;
  added_to_loop_ = false;
  loop_->RemoveChannel(this);
}

void Channel::HandleEvent() {
  if (tied_) {
    const std::shared_ptr<void> guard = tie_.lock();
    if (guard) HandleEventWithGuard();
  } else {
    HandleEventWithGuard();
  }
}

void Channel::HandleEventWithGuard() {
  event_handling_ = true;
  const uint32_t revents = revents_;
  if ((revents & EPOLLHUP) && !(revents & EPOLLIN)) {
    if (close_callback_) close_callback_();
  }
  if (revents & EPOLLERR) {
    if (error_callback_) error_callback_();
  }
  if (revents & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) {
    if (read_callback_) read_callback_();
  }
  if (revents & EPOLLOUT) {
    if (write_callback_) write_callback_();
  }
  event_handling_ = false;
}

}  // namespace lts::net
