// The settings every node command shares (lts jobtracker, tasktracker, standalone,
// submit, job, admin): where the registry or the JobTrackers are, the cluster, the node
// group and identity, the data directory, and the YAML configuration file.
//
// Each setting comes from, in this order of precedence: the command-line flag, the
// LTS_* environment variable, the configuration file (--config / LTS_CONFIG; the Java
// LTS key name where one exists), the default.
//
//   flag           environment          config key        default
//   --config       LTS_CONFIG           -                 (none)
//   --registry     LTS_REGISTRY         registryAddress   (none)
//   --cluster      LTS_CLUSTER          clusterName       defaultCluster
//   --jobtracker   LTS_JOBTRACKER       jobTrackers       127.0.0.1:35001 (when no registry)
//   --group        LTS_GROUP            nodeGroup         per command
//   --identity     LTS_IDENTITY         identity          <command>-<host>-<pid>
//   --data-dir     LTS_DATA_DIR         dataPath          per command
//   --threads      LTS_THREADS          workThreads       per command
//   --secret-file  LTS_SECRET_FILE      clusterSecretFile (none: no authentication)
//   --session-timeout-ms LTS_SESSION_TIMEOUT_MS registry.session.timeout 10000
//
// Errors name the flag, variable or file and key at fault.

#pragma once

#include <string>
#include <vector>

#include "base/config.h"
#include "lts/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace lts::cli {

struct NodeFlags {
  std::string config_path;
  std::string registry;
  std::string cluster = "defaultCluster";
  // ZooKeeper session timeout / Redis key TTL: a dead node leaves the registry after this.
  int session_timeout_ms = 10000;
  std::vector<std::string> jobtrackers;
  std::string group;
  std::string identity;
  std::string data_dir;
  int threads = 0;
  std::string secret_file;
  // Read from secret_file by ResolveNodeFlags (trailing newline removed).
  std::string secret;
  // The loaded configuration file (empty without --config), for command-specific keys.
  Config config;
};

// Which of the shared flags a command takes.
enum NodeFlagSet : unsigned {
  kRegistryFlags = 1u << 0,   // --registry, --cluster, --secret-file
  kJobTrackerFlag = 1u << 1,  // --jobtracker (repeatable)
  kGroupFlag = 1u << 2,       // --group
  kIdentityFlag = 1u << 3,    // --identity
  kDataDirFlag = 1u << 4,     // --data-dir
  kThreadsFlag = 1u << 5,     // --threads
  kConfigFlag = 1u << 6,      // --config
};

// Adds the chosen flags to `sub`, storing into `*flags` (which keeps the per-command
// defaults set before the call, shown in --help).
void AddNodeFlags(CLI::App* sub, NodeFlags* flags, unsigned which);

// A command's own string setting with the same precedence: unless `flag` was given on the
// command line, the environment variable `env`, else the config key `key` (may be null),
// else `*value` stays. Errors: the Config's (naming the file and key).
Status ResolveSetting(const CLI::App& sub, const Config& config, const char* flag, const char* env,
                      const char* key, std::string* value);

// After parsing: fills every setting not given as a flag from the environment, then the
// configuration file, loads the secret, and checks values (threads >= 1 when taken, the
// registry address parses). `command` is the subcommand name, used for the default
// identity. Errors: kInvalidArgument naming the flag/variable/key; the Config errors
// (naming the file) for a bad configuration file; kNotFound for a missing file.
Status ResolveNodeFlags(const CLI::App& sub, std::string_view command, unsigned which,
                        NodeFlags* flags);

}  // namespace lts::cli
