#include "testing/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

namespace lts::testing {
namespace {

Status ErrnoError(const char* call) {
  return IOError(std::string(call) + ": " + std::generic_category().message(errno));
}

}  // namespace

ListeningSocket::ListeningSocket(ListeningSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}

ListeningSocket& ListeningSocket::operator=(ListeningSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
  }
  return *this;
}

ListeningSocket::~ListeningSocket() {
  if (fd_ >= 0) ::close(fd_);
}

int ListeningSocket::Release() { return std::exchange(fd_, -1); }

StatusOr<ListeningSocket> BindToPortZero() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket");
  ListeningSocket socket(fd, 0);  // Closes fd on every error path below.
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  // sockaddr_in and sockaddr are layout-compatible by the sockets API's design.
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return ErrnoError("bind(127.0.0.1:0)");
  }
  if (::listen(fd, SOMAXCONN) != 0) return ErrnoError("listen");
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return ErrnoError("getsockname");
  }
  return ListeningSocket(socket.Release(), ntohs(address.sin_port));
}

StatusOr<uint16_t> PickFreePort() {
  LTS_ASSIGN_OR_RETURN(ListeningSocket socket, BindToPortZero());
  return socket.port();
}

}  // namespace lts::testing
