#include "net/acceptor.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "base/logging.h"
#include "net/event_loop.h"

namespace lts::net {
namespace {

int OpenSpareFd() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

StatusOr<std::unique_ptr<Acceptor>> Acceptor::Create(EventLoop* loop,
                                                     const InetAddress& listen_address,
                                                     bool reuse_port, int backlog) {
  LTS_ASSIGN_OR_RETURN(const int fd, sockets::CreateNonblocking());
  // Constructed before any check so the socket is closed on every error path.
  auto acceptor = std::make_unique<Acceptor>(PassKey(), loop, fd);
  acceptor->socket_.SetReuseAddr(true);
  if (reuse_port) acceptor->socket_.SetReusePort(true);
  LTS_RETURN_IF_ERROR(acceptor->socket_.Bind(listen_address));
  Status listened = acceptor->socket_.Listen(backlog);
  if (!listened.ok()) return listened.WithContext(listen_address.ToString());
  acceptor->listen_address_ = sockets::GetLocalAddress(fd);
  return acceptor;
}

Acceptor::Acceptor(PassKey, EventLoop* loop, int fd)
    : loop_(loop), socket_(fd), channel_(loop, fd), spare_fd_(OpenSpareFd()) {
  channel_.SetReadCallback([this] { HandleRead(); });
}

Acceptor::~Acceptor() {
  loop_->Cancel(resume_timer_);
  if (listening_) {
    channel_.DisableAll();
    channel_.Remove();
  }
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

void Acceptor::Listen() {
  loop_->AssertInLoopThread();
  listening_ = true;
  channel_.EnableReading();
}

void Acceptor::HandleRead() {
  loop_->AssertInLoopThread();
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    InetAddress peer;
    int saved_errno = 0;
    const int fd = socket_.Accept(&peer, &saved_errno);
    if (fd >= 0) {
      if (new_connection_) {
        new_connection_(fd, peer);
      } else {
        sockets::Close(fd);
      }
      continue;
    }
    switch (saved_errno) {
      case EAGAIN:
      case EINTR:
        return;
      case ECONNABORTED:
      case EPROTO:
      case EPERM:  // Refused by a firewall rule: nothing to do with the next one.
        continue;
      case EMFILE:
        LogExhaustion(saved_errno);
        if (!RejectWithSpareFd()) {
          PauseAccepting();
          return;
        }
        continue;
      case ENFILE:
      case ENOBUFS:
      case ENOMEM:
        LogExhaustion(saved_errno);
        PauseAccepting();
        return;
      default:
        LTS_LOG(ERROR, "accept on {}: {}", listen_address_.ToString(),
                sockets::ErrnoText(saved_errno));
        PauseAccepting();
        return;
    }
  }
}

bool Acceptor::RejectWithSpareFd() {
  if (spare_fd_ < 0) return false;
  ::close(spare_fd_);
  spare_fd_ = -1;
  InetAddress peer;
  int saved_errno = 0;
  const int fd = socket_.Accept(&peer, &saved_errno);
  if (fd >= 0) {
    ::close(fd);
    ++rejected_;
  }
  spare_fd_ = OpenSpareFd();
  // Without the spare, the next EMFILE pauses instead; the pause retries later.
  return fd >= 0 || saved_errno == EAGAIN;
}

void Acceptor::PauseAccepting() {
  if (!channel_.IsReading()) return;
  channel_.DisableReading();
  resume_timer_ = loop_->RunAfter(kAcceptPause, [this] {
    if (spare_fd_ < 0) spare_fd_ = OpenSpareFd();
    channel_.EnableReading();
  });
}

void Acceptor::LogExhaustion(int saved_errno) {
  const int64_t now = MonotonicMicros();
  if (now - last_exhaustion_log_micros_ < 1000000) return;
  last_exhaustion_log_micros_ = now;
  LTS_LOG(WARN, "accept on {}: {}; refusing new connections until descriptors free up ({} so far)",
          listen_address_.ToString(), sockets::ErrnoText(saved_errno), rejected_);
}

}  // namespace lts::net
