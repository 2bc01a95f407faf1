// InetAddress: an IPv4 socket address (host and port), the only address family the
// network layer speaks.
//
// Addresses are numeric: Parse() accepts "a.b.c.d:port" (and "localhost:port" as a
// convenience for 127.0.0.1). Name resolution would block, so it never happens on an
// event loop; a caller that has a host name resolves it elsewhere first.
//
// Thread safety: a value type; distinct objects may be used from any thread.

#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "lts/statusor.h"

namespace lts::net {

class InetAddress {
 public:
  // 0.0.0.0:0.
  InetAddress();
  // `ip` in host byte order (INADDR_LOOPBACK, INADDR_ANY, ...).
  InetAddress(uint32_t ip, uint16_t port);
  explicit InetAddress(const sockaddr_in& addr) : addr_(addr) {}

  // Parses "127.0.0.1:8080". Errors: kInvalidArgument naming the bad part (missing
  // ':port', the host, or the port).
  static StatusOr<InetAddress> Parse(std::string_view text);

  // 127.0.0.1:port; port 0 lets the kernel choose when binding.
  static InetAddress Loopback(uint16_t port);
  // 0.0.0.0:port: every local interface.
  static InetAddress Any(uint16_t port);

  // "127.0.0.1:8080".
  std::string ToString() const;
  // "127.0.0.1".
  std::string ip_string() const;
  uint16_t port() const;
  // Host byte order.
  uint32_t ip() const;

  const sockaddr_in& sockaddr() const { return addr_; }

  friend bool operator==(const InetAddress& a, const InetAddress& b) {
    return a.addr_.sin_addr.s_addr == b.addr_.sin_addr.s_addr &&
           a.addr_.sin_port == b.addr_.sin_port;
  }

 private:
  sockaddr_in addr_;  // Always AF_INET; fields in network byte order.
};

}  // namespace lts::net
