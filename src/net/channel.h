// Channel: the link between one file descriptor and the EventLoop that watches it
// (internal to net/; muduo's shape).
//
// A Channel holds the events of interest for its fd and the callbacks to run when the
// poller reports them. It never owns the fd: the owner (Acceptor, Connector,
// TcpConnection, TimerQueue, EventLoop's wake-up) opens and closes it.
//
// Trigger mode: level-triggered. A channel is reported as long as its condition holds,
// so a handler may do one read per event (fairness between connections) and a
// connection whose reading is paused simply stops asking for EPOLLIN. A channel stays
// registered with the poller while its interest set is empty (until Remove()), so the
// kernel still reports EPOLLERR/EPOLLHUP for it: a peer reset on a connection whose
// reading is paused is still noticed.
//
// Dispatch order for one event: close (EPOLLHUP without EPOLLIN), error (EPOLLERR),
// read (EPOLLIN/EPOLLPRI/EPOLLRDHUP), write (EPOLLOUT).
//
// Thread contract: loop-affine; every method except fd()/events() runs on the owner
// loop's thread.
// Lifetime: Remove() must be called before destruction if the channel was ever enabled
// (checked). A handler must not destroy its own Channel; it defers that with
// EventLoop::QueueInLoop. Tie() binds the channel to an owner kept by shared_ptr
// (TcpConnection) so the owner cannot die while one of its handlers runs.

#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace lts::net {

class EventLoop;

class Channel {
 public:
  using EventCallback = std::function<void()>;

  // `loop` is not owned and must outlive the Channel.
  Channel(EventLoop* loop, int fd);
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel();

  // Runs the callbacks for the events the poller reported (set_revents).
  void HandleEvent();

  void SetReadCallback(EventCallback cb) { read_callback_ = std::move(cb); }
  void SetWriteCallback(EventCallback cb) { write_callback_ = std::move(cb); }
  void SetCloseCallback(EventCallback cb) { close_callback_ = std::move(cb); }
  void SetErrorCallback(EventCallback cb) { error_callback_ = std::move(cb); }

  // HandleEvent() does nothing once `owner` has been destroyed, and keeps it alive while
  // the callbacks run.
  void Tie(const std::shared_ptr<void>& owner);

  int fd() const { return fd_; }
  uint32_t events() const { return events_; }
  void set_revents(uint32_t revents) { revents_ = revents; }

  void EnableReading();
  void DisableReading();
  void EnableWriting();
  void DisableWriting();
  void DisableAll();
  bool IsReading() const;
  bool IsWriting() const;
  bool IsNoneEvent() const { return events_ == 0; }

  // Unregisters from the poller. Idempotent.
  void Remove();

  EventLoop* owner_loop() const { return loop_; }

  // For EpollPoller: whether the fd is registered with epoll.
  bool registered() const { return registered_; }
  void set_registered(bool registered) { registered_ = registered; }

 private:
  void Update();
  void HandleEventWithGuard();

  EventLoop* const loop_;
  const int fd_;
  uint32_t events_ = 0;   // Interest set (EPOLLIN, EPOLLOUT, ...).
  uint32_t revents_ = 0;  // What the last poll reported.
  bool registered_ = false;
  bool added_to_loop_ = false;  // Update() ran and Remove() has not.
  bool event_handling_ = false;
  bool tied_ = false;
  std::weak_ptr<void> tie_;
  EventCallback read_callback_;
  EventCallback write_callback_;
  EventCallback close_callback_;
  EventCallback error_callback_;
};

}  // namespace lts::net
