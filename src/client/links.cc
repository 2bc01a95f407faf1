// Client-side JobTrackerLinks settings (client/links.h).

#include "client/links.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>

namespace lts::client {

node::JobTrackerLinksOptions MakeLinksOptions(const LinkSettings& settings) {
  node::JobTrackerLinksOptions options;
  options.registry = settings.registry;
  options.cluster = settings.cluster;
  options.jobtrackers = settings.jobtrackers;
  options.rpc.rpc.cluster_secret = settings.cluster_secret;
  if (!settings.identity.empty()) options.rpc.rpc.identity = settings.identity;
  options.rpc.tcp.backoff_max =
      std::max(settings.reconnect_backoff_max, options.rpc.tcp.backoff_initial);
  return options;
}

std::string DescribeTarget(const LinkSettings& settings) {
  if (!settings.registry.empty()) {
    return fmt::format("registry {} (cluster {})", settings.registry, settings.cluster);
  }
  return fmt::format("{}", fmt::join(settings.jobtrackers, ", "));
}

std::string HostName() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0 || buffer[0] == '\0') return "localhost";
  return buffer;
}

std::string DefaultIdentity(std::string_view prefix) {
  return fmt::format("{}-{}-{}", prefix, HostName(), getpid());
}

}  // namespace lts::client
