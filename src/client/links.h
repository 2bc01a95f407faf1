// How the client-side nodes (JobClient, the CLI and Admin's ControlClient) build their
// JobTrackerLinks options from the settings they share.
//
// Thread safety: pure functions.

#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "node/jobtracker_links.h"

namespace lts::client {

struct LinkSettings {
  std::string registry;  // Empty: `jobtrackers`.
  std::string cluster = "defaultCluster";
  std::vector<std::string> jobtrackers;
  std::string cluster_secret;
  // Proved to JobTrackers when a secret is set; also the registry identity when `self`
  // is registered.
  std::string identity;
  std::chrono::milliseconds reconnect_backoff_max{2000};
};

// Options for JobTrackerLinks with every connection setting filled in (processors, hooks
// and `self` are left to the caller).
node::JobTrackerLinksOptions MakeLinksOptions(const LinkSettings& settings);

// Where the links look for JobTrackers, for error messages: "127.0.0.1:35001" or
// "registry zookeeper://h:p (cluster c)".
std::string DescribeTarget(const LinkSettings& settings);

// "<prefix>-<host>-<pid>".
std::string DefaultIdentity(std::string_view prefix);
// This host's name ("localhost" if it has none).
std::string HostName();

}  // namespace lts::client
