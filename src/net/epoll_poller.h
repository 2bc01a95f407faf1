// EpollPoller: the I/O multiplexer of an EventLoop (internal to net/). One epoll
// instance per loop, level-triggered (see channel.h for why); there is no Poller
// interface, since epoll is the only implementation (style.md section 3).
//
// Thread contract: loop-affine; only the owner EventLoop calls it, on its thread.
// Ownership: owned by the EventLoop; Channels are not owned.

#pragma once

#include <sys/epoll.h>

#include <vector>

namespace lts::net {

class Channel;
class EventLoop;

class EpollPoller {
 public:
  // Aborts if epoll_create1 fails (out of file descriptors at loop creation).
  explicit EpollPoller(EventLoop* loop);
  EpollPoller(const EpollPoller&) = delete;
  EpollPoller& operator=(const EpollPoller&) = delete;
  ~EpollPoller();

  // Waits up to `timeout_ms` (-1: forever) and appends the ready channels, their
  // revents set, to `*active`.
  void Poll(int timeout_ms, std::vector<Channel*>* active);

  // Registers the channel or changes its interest set. A channel with no interest stays
  // registered (EPOLLERR/EPOLLHUP are still reported) until RemoveChannel().
  void UpdateChannel(Channel* channel);
  void RemoveChannel(Channel* channel);

  // Channels registered now.
  int channel_count() const { return channel_count_; }

 private:
  static constexpr int kInitialEventListSize = 16;

  void Control(int operation, Channel* channel);

  EventLoop* const loop_;
  const int epoll_fd_;
  std::vector<epoll_event> events_;  // Grows when a Poll() fills it.
  int channel_count_ = 0;
};

}  // namespace lts::net
