// Local TCP ports for tests that run servers, without fixed port numbers.
//
// Prefer BindToPortZero(): the test keeps the bound socket and hands it to the server
// (or connects to it), so no other process can take the port in between. PickFreePort()
// returns a port that was free a moment ago; use it only for code that insists on
// binding by itself, and expect a rare collision.
//
// Thread safety: both functions may be called from any thread.

#pragma once

#include <cstdint>

#include "lts/statusor.h"

namespace lts::testing {

// A TCP socket bound to 127.0.0.1 on a kernel-chosen port and listening. Closes the
// socket on destruction unless Release() took it. Movable, not copyable.
class ListeningSocket {
 public:
  ListeningSocket(int fd, uint16_t port) : fd_(fd), port_(port) {}
  ListeningSocket(ListeningSocket&& other) noexcept;
  ListeningSocket& operator=(ListeningSocket&& other) noexcept;
  ListeningSocket(const ListeningSocket&) = delete;
  ListeningSocket& operator=(const ListeningSocket&) = delete;
  ~ListeningSocket();

  int fd() const { return fd_; }
  uint16_t port() const { return port_; }

  // Gives up ownership of the descriptor (the caller closes it); fd() becomes -1.
  int Release();

 private:
  int fd_;  // -1 once released or moved from.
  uint16_t port_;
};

// Binds 127.0.0.1:0, listens, and returns the socket and the port the kernel chose.
// Errors: kIOError with the failing call and errno text.
StatusOr<ListeningSocket> BindToPortZero();

// Binds 127.0.0.1:0, reads the port back, closes the socket, and returns the port.
// Errors: kIOError with the failing call and errno text.
StatusOr<uint16_t> PickFreePort();

}  // namespace lts::testing
