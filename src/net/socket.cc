#include "net/socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/logging.h"

namespace lts::net {
namespace {

void SetBoolOption(int fd, int level, int option, bool on, const char* name) {
  const int value = on ? 1 : 0;
  if (::setsockopt(fd, level, option, &value, sizeof(value)) != 0) {
    LTS_LOG(WARN, "fd {}: setsockopt {}: {}", fd, name, sockets::ErrnoText(errno));
  }
}

}  // namespace

Socket::~Socket() { Close(); }

void Socket::Close() {
  sockets::Close(fd_);
  fd_ = -1;
}

Status Socket::Bind(const InetAddress& address) {
  const sockaddr_in& addr = address.sockaddr();
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Unavailable("bind " + address.ToString() + ": " + sockets::ErrnoText(errno));
  }
  return Status::Ok();
}

Status Socket::Listen(int backlog) {
  if (::listen(fd_, backlog) != 0) {
    return Unavailable("listen on " + sockets::GetLocalAddress(fd_).ToString() + ": " +
                       sockets::ErrnoText(errno));
  }
  return Status::Ok();
}

int Socket::Accept(InetAddress* peer, int* saved_errno) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  const int fd =
      ::accept4(fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    *saved_errno = errno;
    return -1;
  }
  *peer = InetAddress(addr);
  return fd;
}

void Socket::ShutdownWrite() {
  // ENOTCONN (the peer already reset the connection) is harmless here.
  ::shutdown(fd_, SHUT_WR);
}

void Socket::SetTcpNoDelay(bool on) {
  SetBoolOption(fd_, IPPROTO_TCP, TCP_NODELAY, on, "TCP_NODELAY");
}

void Socket::SetReuseAddr(bool on) {
  SetBoolOption(fd_, SOL_SOCKET, SO_REUSEADDR, on, "SO_REUSEADDR");
}

void Socket::SetReusePort(bool on) {
  SetBoolOption(fd_, SOL_SOCKET, SO_REUSEPORT, on, "SO_REUSEPORT");
}

void Socket::SetKeepAlive(bool on) {
  SetBoolOption(fd_, SOL_SOCKET, SO_KEEPALIVE, on, "SO_KEEPALIVE");
}

namespace sockets {

StatusOr<int> CreateNonblocking() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return Unavailable("socket: " + ErrnoText(errno));
  return fd;
}

void Close(int fd) {
  if (fd >= 0 && ::close(fd) != 0) {
    LTS_LOG(ERROR, "close fd {}: {}", fd, ErrnoText(errno));
  }
}

InetAddress GetLocalAddress(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return InetAddress();
  return InetAddress(addr);
}

InetAddress GetPeerAddress(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return InetAddress();
  return InetAddress(addr);
}

int GetSocketError(int fd) {
  int error = 0;
  socklen_t len = sizeof(error);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return errno;
  return error;
}

bool IsSelfConnect(int fd) { return GetLocalAddress(fd) == GetPeerAddress(fd); }

std::string ErrnoText(int saved_errno) {
  char buf[256];
  // GNU strerror_r returns the message, which may or may not be `buf`.
  const char* text = ::strerror_r(saved_errno, buf, sizeof(buf));
  return text;
}

}  // namespace sockets
}  // namespace lts::net
