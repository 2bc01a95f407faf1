#include "net/epoll_poller.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/check.h"
#include "base/logging.h"
#include "net/channel.h"
#include "net/event_loop.h"

namespace lts::net {
namespace {

int CreateEpoll() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  LTS_CHECK(fd >= 0) << "epoll_create1: " << std::strerror(errno);
  return fd;
}

}  // namespace

EpollPoller::EpollPoller(EventLoop* loop)
    : loop_(loop), epoll_fd_(CreateEpoll()), events_(kInitialEventListSize) {}

EpollPoller::~EpollPoller() { ::close(epoll_fd_); }

void EpollPoller::Poll(int timeout_ms, std::vector<Channel*>* active) {
  const int n =
      ::epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()), timeout_ms);
  if (n < 0) {
    if (errno != EINTR) LTS_LOG(ERROR, "epoll_wait: {}", std::strerror(errno));
    return;
  }
  for (int i = 0; i < n; ++i) {
    auto* channel = static_cast<Channel*>(events_[static_cast<size_t>(i)].data.ptr);
    channel->set_revents(events_[static_cast<size_t>(i)].events);
    active->push_back(channel);
  }
  if (static_cast<size_t>(n) == events_.size()) events_.resize(events_.size() * 2);
}

void EpollPoller::UpdateChannel(Channel* channel) {
  loop_->AssertInLoopThread();
  if (channel->registered()) {
    Control(EPOLL_CTL_MOD, channel);
  } else if (!channel->IsNoneEvent()) {
    Control(EPOLL_CTL_ADD, channel);
    channel->set_registered(true);
    ++channel_count_;
  }
}

void EpollPoller::RemoveChannel(Channel* channel) {
  loop_->AssertInLoopThread();
  if (!channel->registered()) return;
  Control(EPOLL_CTL_DEL, channel);
  channel->set_registered(false);
  --channel_count_;
}

void EpollPoller::Control(int operation, Channel* channel) {
  epoll_event event{};
  event.events = channel->events();
  event.data.ptr = channel;
  if (::epoll_ctl(epoll_fd_, operation, channel->fd(), &event) != 0) {
    // A failed ADD or MOD means the loop would silently never serve this fd, and a
    // failed DEL means it might serve a dead Channel: both are bugs (a closed or
    // foreign fd), not runtime conditions.
    LTS_FATAL() << "epoll_ctl op=" << operation << " fd=" << channel->fd() << ": "
                << std::strerror(errno);
  }
}

}  // namespace lts::net
