// Address parsing and the backend factory.

#include "registry/registry.h"

#include <fmt/format.h>

#include "base/string_util.h"
#include "registry/embedded_registry.h"
#include "registry/redis/redis_registry.h"
#include "registry/zookeeper/zookeeper_registry.h"

namespace lts::registry {
namespace {

constexpr std::string_view kEmbedded = "embedded://";
constexpr std::string_view kZooKeeper = "zookeeper://";
constexpr std::string_view kRedis = "redis://";
constexpr size_t kMaxAddressLength = 1024;

bool IsHostChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

Status CheckHostPort(std::string_view address, std::string_view host_port) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument(fmt::format("registry address {}: expected host:port, got {}",
                                       Quote(address), Quote(host_port)));
  }
  for (char c : host_port.substr(0, colon)) {
    if (!IsHostChar(c)) {
      return InvalidArgument(
          fmt::format("registry address {}: bad host in {}", Quote(address), Quote(host_port)));
    }
  }
  StatusOr<int64_t> port = ParseInt64(host_port.substr(colon + 1));
  if (!port.ok() || *port < 1 || *port > 65535) {
    return InvalidArgument(fmt::format("registry address {}: port of {} is not in 1..65535",
                                       Quote(address), Quote(host_port)));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<RegistryAddress> ParseRegistryAddress(std::string_view address) {
  if (address.size() > kMaxAddressLength) {
    return InvalidArgument(fmt::format("registry address {}: longer than {} bytes", Quote(address),
                                       kMaxAddressLength));
  }
  RegistryAddress out;
  std::string_view rest;
  if (address.starts_with(kEmbedded)) {
    out.kind = RegistryAddress::Kind::kEmbedded;
    rest = address.substr(kEmbedded.size());
    for (char c : rest) {
      if (!IsHostChar(c)) {
        return InvalidArgument(fmt::format(
            "registry address {}: an embedded name uses only [A-Za-z0-9._-]", Quote(address)));
      }
    }
    out.target = std::string(rest);
    return out;
  }
  if (address.starts_with(kZooKeeper)) {
    out.kind = RegistryAddress::Kind::kZooKeeper;
    rest = address.substr(kZooKeeper.size());
  } else if (address.starts_with(kRedis)) {
    out.kind = RegistryAddress::Kind::kRedis;
    rest = address.substr(kRedis.size());
  } else {
    return InvalidArgument(
        fmt::format("registry address {}: expected zookeeper://host:port[,host:port], "
                    "redis://host:port or embedded://[name]",
                    Quote(address)));
  }
  std::vector<std::string_view> hosts = Split(rest, ',');
  if (out.kind == RegistryAddress::Kind::kRedis && hosts.size() != 1) {
    return InvalidArgument(
        fmt::format("registry address {}: redis:// takes exactly one host:port", Quote(address)));
  }
  for (std::string_view host_port : hosts) LTS_RETURN_IF_ERROR(CheckHostPort(address, host_port));
  out.target = std::string(rest);
  return out;
}

StatusOr<std::unique_ptr<Registry>> CreateRegistry(const RegistryOptions& options) {
  LTS_ASSIGN_OR_RETURN(RegistryAddress address, ParseRegistryAddress(options.address));
  if (options.cluster.empty() || options.cluster.size() > kMaxNameLength) {
    return InvalidArgument(fmt::format("registry cluster {}: must have 1 to {} bytes",
                                       Quote(options.cluster), kMaxNameLength));
  }
  if (options.session_timeout_ms < 100 || options.connect_timeout_ms < 1 ||
      options.reconcile_interval_ms < 10) {
    return InvalidArgument(fmt::format(
        "registry options: session_timeout_ms {} (>= 100), connect_timeout_ms {} (>= 1), "
        "reconcile_interval_ms {} (>= 10)",
        options.session_timeout_ms, options.connect_timeout_ms, options.reconcile_interval_ms));
  }
  std::unique_ptr<Registry> registry;
  switch (address.kind) {
    case RegistryAddress::Kind::kEmbedded:
      registry = std::make_unique<EmbeddedRegistry>(address.target, options.cluster);
      break;
    case RegistryAddress::Kind::kZooKeeper:
      registry = std::make_unique<ZooKeeperRegistry>(address.target, options);
      break;
    case RegistryAddress::Kind::kRedis:
      registry = std::make_unique<RedisRegistry>(address.target, options);
      break;
  }
  return registry;
}

StatusOr<std::unique_ptr<Registry>> StartRegistry(const RegistryOptions& options) {
  LTS_ASSIGN_OR_RETURN(std::unique_ptr<Registry> registry, CreateRegistry(options));
  Status s = registry->Start();
  if (!s.ok()) {
    return Status(s.code(), fmt::format("registry {}: {}", options.address, s.message()));
  }
  return registry;
}

}  // namespace lts::registry
