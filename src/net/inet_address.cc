#include "net/inet_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "base/string_util.h"

namespace lts::net {

InetAddress::InetAddress() : InetAddress(INADDR_ANY, 0) {}

InetAddress::InetAddress(uint32_t ip, uint16_t port) {
  std::memset(&addr_, 0, sizeof(addr_));
  addr_.sin_family = AF_INET;
  addr_.sin_addr.s_addr = htonl(ip);
  addr_.sin_port = htons(port);
}

StatusOr<InetAddress> InetAddress::Parse(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument("address " + Quote(text) + ": missing ':port'");
  }
  const std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);

  unsigned port = 0;
  const char* end = port_text.data() + port_text.size();
  const auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || ec != std::errc() || ptr != end || port > 65535) {
    return InvalidArgument("address " + Quote(text) + ": bad port " + Quote(port_text) +
                           " (expected 0-65535)");
  }

  in_addr ip{};
  if (host == "localhost") {
    ip.s_addr = htonl(INADDR_LOOPBACK);
  } else {
    const std::string host_copy(host);  // inet_pton needs a terminated string.
    if (host.empty() || inet_pton(AF_INET, host_copy.c_str(), &ip) != 1) {
      return InvalidArgument("address " + Quote(text) + ": bad host " + Quote(host) +
                             " (expected a dotted IPv4 address)");
    }
  }
  return InetAddress(ntohl(ip.s_addr), static_cast<uint16_t>(port));
}

InetAddress InetAddress::Loopback(uint16_t port) { return InetAddress(INADDR_LOOPBACK, port); }

InetAddress InetAddress::Any(uint16_t port) { return InetAddress(INADDR_ANY, port); }

std::string InetAddress::ToString() const { return ip_string() + ":" + std::to_string(port()); }

std::string InetAddress::ip_string() const {
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &addr_.sin_addr, buf, sizeof(buf));
  return buf;
}

uint16_t InetAddress::port() const { return ntohs(addr_.sin_port); }

uint32_t InetAddress::ip() const { return ntohl(addr_.sin_addr.s_addr); }

}  // namespace lts::net
