// Helpers for the net tests: a blocking raw TCP client (to play peers that misbehave in
// ways TcpClient never would: not reading, resetting, writing one byte at a time), an
// echo server, and process memory readings.

#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "net/event_loop.h"
#include "net/inet_address.h"
#include "net/tcp_server.h"

namespace lts::net::testing {

// A blocking TCP client socket for tests. Every read waits with a deadline (poll), so a
// broken server fails the test instead of hanging it.
class RawClient {
 public:
  RawClient() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  ~RawClient() { Close(); }

  int fd() const { return fd_; }

  bool Connect(uint16_t port) {
    const sockaddr_in addr = InetAddress::Loopback(port).sockaddr();
    return ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  }

  void SetNoDelay() {
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }

  bool SendAll(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads up to `max` bytes, waiting at most `timeout`. Returns the bytes read ("" at
  // end of stream or on timeout; eof() / timed_out() tell which).
  std::string ReadSome(size_t max, std::chrono::milliseconds timeout) {
    eof_ = false;
    timed_out_ = false;
    error_ = 0;
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready <= 0) {
      timed_out_ = true;
      return "";
    }
    std::string out(max, '\0');
    const ssize_t n = ::recv(fd_, out.data(), max, 0);
    if (n <= 0) {
      eof_ = true;
      error_ = n < 0 ? errno : 0;
      return "";
    }
    out.resize(static_cast<size_t>(n));
    return out;
  }

  // Reads exactly `n` bytes, or fewer if the stream ends or `timeout` passes.
  std::string ReadExactly(size_t n, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string out;
    while (out.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      std::string piece = ReadSome(n - out.size(), left);
      if (piece.empty()) break;
      out += piece;
    }
    return out;
  }

  // Reads until end of stream (or an error, or `timeout`). `*eof` tells whether the
  // stream really ended (a FIN or a reset) rather than timing out.
  std::string ReadToEnd(std::chrono::milliseconds timeout, bool* eof) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string out;
    *eof = false;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return out;
      std::string piece = ReadSome(64 * 1024, left);
      if (eof_) {
        *eof = true;
        return out;
      }
      if (timed_out_) return out;
      out += piece;
    }
  }

  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // Closes with SO_LINGER {on, 0}: the kernel sends RST instead of FIN.
  void ResetClose() {
    linger lg{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    Close();
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool eof() const { return eof_; }
  int error() const { return error_; }

 private:
  int fd_;
  bool eof_ = false;
  bool timed_out_ = false;
  int error_ = 0;
};

// A started server that echoes every byte back. REQUIRES: `base` is running.
inline std::unique_ptr<TcpServer> StartEchoServer(EventLoop* base, TcpServer::Options options,
                                                  ConnectionCallback on_connection = {}) {
  auto server = std::make_unique<TcpServer>(base, InetAddress::Loopback(0), "echo", options);
  server->SetMessageCallback(
      [](const TcpConnectionPtr& conn, Buffer* buffer) { conn->Send(buffer); });
  if (on_connection) server->SetConnectionCallback(std::move(on_connection));
  if (!server->Start().ok()) return nullptr;
  return server;
}

// Resident set size of this process, in bytes.
inline int64_t ResidentBytes() {
  long pages_total = 0;
  long pages_resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "re");
  if (f == nullptr) return -1;
  const int got = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  if (got != 2) return -1;
  return static_cast<int64_t>(pages_resident) * ::sysconf(_SC_PAGESIZE);
}

// Byte `offset` of the deterministic stream the bulk-transfer tests send.
inline char PatternByte(uint64_t offset) { return static_cast<char>(offset % 251); }

inline std::string PatternChunk(uint64_t offset, size_t size) {
  std::string chunk(size, '\0');
  for (size_t i = 0; i < size; ++i) chunk[i] = PatternByte(offset + i);
  return chunk;
}

}  // namespace lts::net::testing
