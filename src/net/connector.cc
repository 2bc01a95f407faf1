#include "net/connector.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "base/check.h"
#include "base/logging.h"
#include "net/channel.h"
#include "net/event_loop.h"
#include "net/socket.h"

namespace lts::net {

Connector::Connector(EventLoop* loop, const InetAddress& server, const Options& options)
    : loop_(loop), server_(server), options_(options), rng_(std::random_device{}()) {}

Connector::~Connector() {
  LTS_DCHECK(channel_ == nullptr) << "connector to " << server_.ToString() << " not stopped";
}

void Connector::Start() {
  loop_->AssertInLoopThread();
  if (state_ != State::kIdle) return;
  Attempt();
}

void Connector::StartAfter(std::chrono::milliseconds delay) {
  loop_->AssertInLoopThread();
  if (state_ == State::kConnecting) return;
  loop_->Cancel(retry_timer_);
  Schedule(Jittered(delay));
}

void Connector::Stop() {
  loop_->AssertInLoopThread();
  loop_->Cancel(retry_timer_);
  if (state_ == State::kConnecting) sockets::Close(FinishAttempt());
  state_ = State::kIdle;
  failures_ = 0;
  ++attempt_;  // Invalidates a failure being reported right now (see Fail()).
}

void Connector::Schedule(std::chrono::milliseconds delay) {
  state_ = State::kScheduled;
  retry_timer_ = loop_->RunAfter(delay, [weak = weak_from_this()] {
    const std::shared_ptr<Connector> self = weak.lock();
    if (self && self->state_ == State::kScheduled) {
      self->state_ = State::kIdle;
      self->Attempt();
    }
  });
}

void Connector::Attempt() {
  ++attempt_;
  StatusOr<int> fd_or = sockets::CreateNonblocking();
  if (!fd_or.ok()) {
    Fail(fd_or.status().WithContext("connect to " + server_.ToString()));
    return;
  }
  const int fd = *fd_or;
  const sockaddr_in& addr = server_.sockaddr();
  const int result = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int error = result == 0 ? 0 : errno;
  switch (error) {
    case 0:
    case EINPROGRESS:
    case EINTR:
    case EISCONN:
      state_ = State::kConnecting;
      channel_ = std::make_unique<Channel>(loop_, fd);
      channel_->Tie(shared_from_this());  // Alive while its handlers run.
      // Bound to this attempt: a failure callback may start the next attempt while this
      // channel is still dispatching the rest of its event.
      channel_->SetWriteCallback([this, attempt = attempt_] { HandleWrite(attempt); });
      channel_->SetErrorCallback([this, attempt = attempt_] { HandleWrite(attempt); });
      channel_->EnableWriting();
      timeout_timer_ =
          loop_->RunAfter(options_.connect_timeout, [weak = weak_from_this(), attempt = attempt_] {
            if (const std::shared_ptr<Connector> self = weak.lock()) self->HandleTimeout(attempt);
          });
      return;
    default:
      // ECONNREFUSED, ENETUNREACH, EADDRNOTAVAIL, EACCES, ...: this attempt is over.
      sockets::Close(fd);
      Fail(Unavailable("connect to " + server_.ToString() + ": " + sockets::ErrnoText(error)));
      return;
  }
}

void Connector::HandleWrite(uint64_t attempt) {
  if (state_ != State::kConnecting || attempt != attempt_) return;
  const int fd = FinishAttempt();
  const int error = sockets::GetSocketError(fd);
  if (error != 0) {
    sockets::Close(fd);
    Fail(Unavailable("connect to " + server_.ToString() + ": " + sockets::ErrnoText(error)));
  } else if (sockets::IsSelfConnect(fd)) {
    sockets::Close(fd);
    Fail(Unavailable("connect to " + server_.ToString() + ": connected to itself"));
  } else {
    failures_ = 0;
    if (new_connection_) {
      new_connection_(fd);
    } else {
      sockets::Close(fd);
    }
  }
}

void Connector::HandleTimeout(uint64_t attempt) {
  if (state_ != State::kConnecting || attempt != attempt_) return;
  sockets::Close(FinishAttempt());
  Fail(DeadlineExceeded("connect to " + server_.ToString() + ": timed out after " +
                        std::to_string(options_.connect_timeout.count()) + " ms"));
}

int Connector::FinishAttempt() {
  channel_->DisableAll();
  channel_->Remove();
  const int fd = channel_->fd();
  loop_->Cancel(timeout_timer_);
  // This may run inside the channel's own handler: destroy the Channel afterwards.
  loop_->QueueInLoop([channel = std::shared_ptr<Channel>(std::move(channel_))] {});
  state_ = State::kIdle;
  return fd;
}

void Connector::Fail(const Status& status) {
  ++failures_;
  if (failures_ == 1) {
    LTS_LOG(INFO, "{}", status.ToString());
  } else {
    LTS_LOG(DEBUG, "{} (attempt {})", status.ToString(), failures_);
  }
  const std::shared_ptr<Connector> self = shared_from_this();
  const uint64_t attempt = attempt_;
  if (failure_) failure_(status);
  // The callback may have stopped or restarted us; then the retry is not ours to plan.
  if (attempt != attempt_ || state_ != State::kIdle) return;
  if (options_.retry) Schedule(Jittered(Backoff(failures_)));
}

std::chrono::milliseconds Connector::Backoff(int failures) const {
  std::chrono::milliseconds delay = options_.backoff_initial;
  for (int i = 1; i < failures && delay < options_.backoff_max; ++i) delay *= 2;
  return std::min(delay, options_.backoff_max);
}

std::chrono::milliseconds Connector::Jittered(std::chrono::milliseconds delay) {
  if (options_.jitter <= 0) return delay;
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const double factor = 1.0 + std::min(options_.jitter, 1.0) * unit(rng_);
  return std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(delay.count()) * factor));
}

}  // namespace lts::net
