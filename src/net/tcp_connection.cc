#include "net/tcp_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "base/check.h"
#include "base/logging.h"
#include "net/channel.h"
#include "net/event_loop.h"
#include "net/socket.h"

namespace lts::net {
namespace {

// How much unread input CloseNow() discards before closing, so that close() sends FIN
// rather than RST (an RST can make the peer drop the bytes just flushed).
constexpr int kMaxDrainReads = 16;

bool IsTransient(int saved_errno) {
  return saved_errno == EAGAIN || saved_errno == EWOULDBLOCK || saved_errno == EINTR;
}

}  // namespace

void DefaultConnectionCallback(const TcpConnectionPtr& conn) {
  LTS_LOG(DEBUG, "{}: {} -> {} is {}", conn->name(), conn->local_address().ToString(),
          conn->peer_address().ToString(), conn->connected() ? "up" : "down");
}

void DefaultMessageCallback(const TcpConnectionPtr&, Buffer* buffer) { buffer->RetrieveAll(); }

TcpConnection::TcpConnection(EventLoop* loop, std::string name, int sockfd,
                             const InetAddress& local_address, const InetAddress& peer_address,
                             const Options& options)
    : loop_(loop),
      name_(std::move(name)),
      socket_(std::make_unique<Socket>(sockfd)),
      channel_(std::make_unique<Channel>(loop, sockfd)),
      local_address_(local_address),
      peer_address_(peer_address),
      max_output_bytes_(options.max_output_bytes),
      connection_callback_(DefaultConnectionCallback),
      message_callback_(DefaultMessageCallback) {
  channel_->SetReadCallback([this] { HandleRead(); });
  channel_->SetWriteCallback([this] { HandleWrite(); });
  channel_->SetCloseCallback([this] { HandleClose(); });
  channel_->SetErrorCallback([this] { HandleError(); });
  if (options.tcp_no_delay) socket_->SetTcpNoDelay(true);
  if (options.keep_alive) socket_->SetKeepAlive(true);
  LTS_LOG(DEBUG, "{}: created, fd {}", name_, sockfd);
}

TcpConnection::~TcpConnection() {
  LTS_LOG(DEBUG, "{}: destroyed", name_);
  LTS_DCHECK(state() == State::kDisconnected || state() == State::kConnecting)
      << name_ << ": destroyed while open";
}

bool TcpConnection::Send(std::string_view data) {
  if (state() != State::kConnected) return false;
  if (data.empty()) return true;
  if (!ReserveOutput(data.size())) return false;
  if (loop_->IsInLoopThread()) {
    SendInLoop(data.data(), data.size());
  } else {
    loop_->QueueInLoop([self = shared_from_this(), copy = std::string(data)] {
      self->SendInLoop(copy.data(), copy.size());
    });
  }
  return true;
}

bool TcpConnection::Send(Buffer* buffer) {
  if (!Send(buffer->ToStringView())) return false;
  buffer->RetrieveAll();
  return true;
}

bool TcpConnection::ReserveOutput(size_t n) {
  size_t current = pending_output_.load(std::memory_order_relaxed);
  do {
    if (n > max_output_bytes_ || current > max_output_bytes_ - n) return false;
  } while (!pending_output_.compare_exchange_weak(current, current + n, std::memory_order_relaxed));
  return true;
}

void TcpConnection::ReleaseOutput(size_t n) {
  pending_output_.fetch_sub(n, std::memory_order_relaxed);
}

void TcpConnection::SendInLoop(const char* data, size_t len) {
  loop_->AssertInLoopThread();
  if (state() == State::kDisconnected || write_failed_) {
    ReleaseOutput(len);  // The connection closed after the Send() was accepted.
    return;
  }
  size_t written = 0;
  if (!channel_->IsWriting() && output_buffer_.readable_bytes() == 0) {
    const ssize_t n = ::send(socket_->fd(), data, len, MSG_NOSIGNAL);
    if (n >= 0) {
      written = static_cast<size_t>(n);
      ReleaseOutput(written);
      last_send_micros_.store(MonotonicMicros(), std::memory_order_relaxed);
      if (written == len) QueueWriteComplete();
    } else if (!IsTransient(errno)) {
      ReleaseOutput(len);
      FailWrite(errno);
      return;
    }
  }
  const size_t remaining = len - written;
  if (remaining == 0) return;
  const size_t old_len = output_buffer_.readable_bytes();
  output_buffer_.Append(data + written, remaining);
  if (!channel_->IsWriting()) channel_->EnableWriting();
  if (high_water_mark_callback_ && old_len < high_water_mark_ &&
      old_len + remaining >= high_water_mark_) {
    high_water_mark_callback_(shared_from_this(), old_len + remaining);
  }
}

void TcpConnection::FailWrite(int saved_errno) {
  LTS_LOG(DEBUG, "{}: write to {}: {}", name_, peer_address_.ToString(),
          sockets::ErrnoText(saved_errno));
  write_failed_ = true;
  ReleaseOutput(output_buffer_.readable_bytes());
  output_buffer_.RetrieveAll();
  if (channel_->IsWriting()) channel_->DisableWriting();
  // Queued, not immediate: this may run inside a user callback that called Send().
  loop_->QueueInLoop([self = shared_from_this()] { self->ForceCloseInLoop(); });
}

void TcpConnection::Shutdown() {
  State expected = State::kConnected;
  if (state_.compare_exchange_strong(expected, State::kDisconnecting)) {
    loop_->RunInLoop([self = shared_from_this()] { self->ShutdownInLoop(); });
  }
}

void TcpConnection::ShutdownInLoop() {
  loop_->AssertInLoopThread();
  // With output pending, HandleWrite() half-closes once the buffer drains.
  if (state() == State::kDisconnecting && !channel_->IsWriting()) socket_->ShutdownWrite();
}

void TcpConnection::ForceClose() {
  State expected = State::kConnected;
  if (state_.compare_exchange_strong(expected, State::kDisconnecting) ||
      expected == State::kDisconnecting) {
    loop_->QueueInLoop([self = shared_from_this()] { self->ForceCloseInLoop(); });
  }
}

void TcpConnection::ForceCloseInLoop() {
  loop_->AssertInLoopThread();
  if (state() != State::kDisconnected) HandleClose();
}

void TcpConnection::CloseNow(bool flush_first) {
  loop_->AssertInLoopThread();
  if (state() == State::kDisconnected) return;
  if (flush_first && !write_failed_ && output_buffer_.readable_bytes() > 0) {
    const ssize_t n =
        ::send(socket_->fd(), output_buffer_.Peek(), output_buffer_.readable_bytes(), MSG_NOSIGNAL);
    if (n > 0) {
      output_buffer_.Retrieve(static_cast<size_t>(n));
      ReleaseOutput(static_cast<size_t>(n));
    }
  }
  char discard[4096];
  for (int i = 0; i < kMaxDrainReads; ++i) {
    if (::recv(socket_->fd(), discard, sizeof(discard), MSG_DONTWAIT) <= 0) break;
  }
  HandleClose();
}

void TcpConnection::StopReading() {
  if (disconnected()) return;
  loop_->RunInLoop([self = shared_from_this()] { self->StopReadingInLoop(); });
}

void TcpConnection::StartReading() {
  if (disconnected()) return;
  loop_->RunInLoop([self = shared_from_this()] { self->StartReadingInLoop(); });
}

void TcpConnection::StopReadingInLoop() {
  loop_->AssertInLoopThread();
  if (state() == State::kDisconnected) return;
  if (channel_->IsReading()) channel_->DisableReading();
  reading_.store(false, std::memory_order_relaxed);
}

void TcpConnection::StartReadingInLoop() {
  loop_->AssertInLoopThread();
  if (state() == State::kDisconnected || state() == State::kConnecting || peer_closed_) return;
  if (!channel_->IsReading()) channel_->EnableReading();
  reading_.store(true, std::memory_order_relaxed);
}

void TcpConnection::SetTcpNoDelay(bool on) {
  if (disconnected()) return;
  // On the loop, where the descriptor is closed, so it cannot be a reused number.
  loop_->RunInLoop([self = shared_from_this(), on] {
    if (!self->disconnected()) self->socket_->SetTcpNoDelay(on);
  });
}

void TcpConnection::ConnectEstablished() {
  loop_->AssertInLoopThread();
  LTS_CHECK(state() == State::kConnecting) << name_ << ": established twice";
  set_state(State::kConnected);
  const int64_t now = MonotonicMicros();
  last_receive_micros_.store(now, std::memory_order_relaxed);
  last_send_micros_.store(now, std::memory_order_relaxed);
  channel_->Tie(shared_from_this());
  channel_->EnableReading();
  reading_.store(true, std::memory_order_relaxed);
  connection_callback_(shared_from_this());
}

void TcpConnection::ConnectDestroyed() {
  loop_->AssertInLoopThread();
  if (state() != State::kDisconnected && state() != State::kConnecting) {
    set_state(State::kDisconnected);
    channel_->DisableAll();
    connection_callback_(shared_from_this());
  }
  set_state(State::kDisconnected);
  channel_->Remove();
  // Release the descriptor now, not when the last TcpConnectionPtr goes: the peer sees
  // the close at once even if the layer above keeps the object for a while.
  socket_->Close();
}

void TcpConnection::HandleRead() {
  loop_->AssertInLoopThread();
  if (state() == State::kDisconnected) return;
  int saved_errno = 0;
  const ssize_t n = input_buffer_.ReadFd(socket_->fd(), &saved_errno);
  if (n > 0) {
    last_receive_micros_.store(MonotonicMicros(), std::memory_order_relaxed);
    message_callback_(shared_from_this(), &input_buffer_);
    if (input_buffer_.readable_bytes() == 0) ReleaseIdleMemory(&input_buffer_);
  } else if (n == 0) {
    HandlePeerEof();
  } else if (!IsTransient(saved_errno)) {
    LTS_LOG(DEBUG, "{}: read from {}: {}", name_, peer_address_.ToString(),
            sockets::ErrnoText(saved_errno));
    HandleClose();
  }
}

void TcpConnection::HandlePeerEof() {
  peer_closed_ = true;
  if (output_buffer_.readable_bytes() == 0 || write_failed_) {
    HandleClose();
    return;
  }
  // The peer has finished sending but may still read: flush our output, then close
  // (HandleWrite). Stop watching EPOLLIN, which would now report end-of-stream forever.
  set_state(State::kDisconnecting);
  StopReadingInLoop();
}

void TcpConnection::HandleWrite() {
  loop_->AssertInLoopThread();
  if (!channel_->IsWriting()) return;
  const ssize_t n =
      ::send(socket_->fd(), output_buffer_.Peek(), output_buffer_.readable_bytes(), MSG_NOSIGNAL);
  if (n < 0) {
    if (!IsTransient(errno)) FailWrite(errno);
    return;
  }
  output_buffer_.Retrieve(static_cast<size_t>(n));
  ReleaseOutput(static_cast<size_t>(n));
  last_send_micros_.store(MonotonicMicros(), std::memory_order_relaxed);
  if (output_buffer_.readable_bytes() > 0) return;

  channel_->DisableWriting();
  ReleaseIdleMemory(&output_buffer_);
  QueueWriteComplete();
  if (state() == State::kDisconnecting) {
    if (peer_closed_) {
      HandleClose();
    } else {
      ShutdownInLoop();
    }
  }
}

void TcpConnection::HandleError() {
  const int error = sockets::GetSocketError(socket_->fd());
  LTS_LOG(DEBUG, "{}: socket error from {}: {}", name_, peer_address_.ToString(),
          sockets::ErrnoText(error));
  HandleClose();
}

void TcpConnection::HandleClose() {
  loop_->AssertInLoopThread();
  if (state() == State::kDisconnected) return;  // Close and error can both be reported.
  set_state(State::kDisconnected);
  channel_->DisableAll();
  reading_.store(false, std::memory_order_relaxed);
  ReleaseOutput(output_buffer_.readable_bytes());
  output_buffer_.RetrieveAll();
  output_buffer_.Shrink();
  input_buffer_.RetrieveAll();
  input_buffer_.Shrink();

  const TcpConnectionPtr guard(shared_from_this());
  connection_callback_(guard);
  // Last: the owner drops its reference and queues ConnectDestroyed().
  if (close_callback_) close_callback_(guard);
}

void TcpConnection::QueueWriteComplete() {
  if (!write_complete_callback_ || write_complete_queued_) return;
  write_complete_queued_ = true;
  loop_->QueueInLoop([self = shared_from_this()] {
    self->write_complete_queued_ = false;
    // Output queued since the drain means it is not complete any more; the next drain
    // queues another run.
    if (self->state() != State::kDisconnected && self->output_buffer_.readable_bytes() == 0) {
      self->write_complete_callback_(self);
    }
  });
}

void TcpConnection::ReleaseIdleMemory(Buffer* buffer) {
  if (buffer->readable_bytes() == 0 && buffer->capacity() > Buffer::kMaxIdleCapacity) {
    buffer->Shrink();
  }
}

void TcpConnection::SetCallbacks(const ConnectionCallbacks& callbacks) {
  if (callbacks.connection) SetConnectionCallback(callbacks.connection);
  if (callbacks.message) SetMessageCallback(callbacks.message);
  if (callbacks.write_complete) SetWriteCompleteCallback(callbacks.write_complete);
  if (callbacks.high_water_mark) {
    SetHighWaterMarkCallback(callbacks.high_water_mark, callbacks.high_water_mark_bytes);
  }
}

}  // namespace lts::net
