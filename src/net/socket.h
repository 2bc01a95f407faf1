// Socket: an owned TCP socket descriptor, and the small socket helpers the rest of
// net/ uses (internal to net/).
//
// Every socket we create is non-blocking and close-on-exec. Functions that can fail at
// run time return Status (or an errno through an out-parameter where the caller must
// branch on the exact error, as in accept and connect); they never throw.
//
// Thread safety: a Socket is used by its owner only (its option setters, which only
// make a setsockopt call, from any thread while it is open); the free functions may be
// called from any thread.

#pragma once

#include <cstdint>
#include <string>

#include "lts/status.h"
#include "lts/statusor.h"
#include "net/inet_address.h"

namespace lts::net {

class Socket {
 public:
  // Takes ownership of `fd` (closed by the destructor).
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

  // -1 once Close() ran.
  int fd() const { return fd_; }

  // Closes the descriptor now rather than in the destructor. Idempotent.
  void Close();

  // Errors: kUnavailable naming the address and the errno text.
  Status Bind(const InetAddress& address);
  Status Listen(int backlog);
  // Accepts one connection as a non-blocking, close-on-exec socket and returns its fd,
  // or -1 with errno in `*saved_errno` (EAGAIN when none is pending).
  int Accept(InetAddress* peer, int* saved_errno);

  // Half-close: no more writes (the peer reads end-of-stream); reading continues.
  void ShutdownWrite();

  void SetTcpNoDelay(bool on);
  void SetReuseAddr(bool on);
  void SetReusePort(bool on);
  void SetKeepAlive(bool on);

 private:
  int fd_;
};

namespace sockets {

// A non-blocking, close-on-exec IPv4 TCP socket. Errors: kUnavailable (e.g. EMFILE).
StatusOr<int> CreateNonblocking();
void Close(int fd);
InetAddress GetLocalAddress(int fd);
InetAddress GetPeerAddress(int fd);
// SO_ERROR of the socket (0 for none).
int GetSocketError(int fd);
// A connect to a local port with no listener can, rarely, connect the socket to
// itself (TCP simultaneous open); such a connection must be dropped.
bool IsSelfConnect(int fd);
// strerror as a std::string, thread-safe.
std::string ErrnoText(int saved_errno);

}  // namespace sockets
}  // namespace lts::net
