// Shared node settings of the lts subcommands (cli/node_flags.h).

#include "cli/node_flags.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "registry/registry.h"

namespace lts::cli {
namespace {

const char* Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

bool Given(const CLI::App& sub, const char* flag) { return sub.count(flag) > 0; }

// Fills an integer setting in [min, max] from the environment or the config unless its
// flag was given.
Status ResolveInt(const CLI::App& sub, const Config& config, const char* flag, const char* env,
                  const char* key, int min, int max, int* value) {
  if (Given(sub, flag)) return Status::Ok();
  if (const char* v = Env(env)) {
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (end == v || *end != '\0' || n < min || n > max) {
      return InvalidArgument(
          fmt::format("{}: expected an integer in [{}, {}], got \"{}\"", env, min, max, v));
    }
    *value = static_cast<int>(n);
  } else if (config.Has(key)) {
    LTS_ASSIGN_OR_RETURN(int64_t n, config.GetInt64(key, *value, min, max));
    *value = static_cast<int>(n);
  }
  return Status::Ok();
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string item(text.substr(start, end - start));
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::string HostName() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0) return "localhost";
  return buffer;
}

}  // namespace

Status ResolveSetting(const CLI::App& sub, const Config& config, const char* flag, const char* env,
                      const char* key, std::string* value) {
  if (Given(sub, flag)) return Status::Ok();
  if (const char* v = Env(env)) {
    *value = v;
    return Status::Ok();
  }
  if (key != nullptr && config.Has(key)) {
    LTS_ASSIGN_OR_RETURN(*value, config.GetString(key, *value));
  }
  return Status::Ok();
}

void AddNodeFlags(CLI::App* sub, NodeFlags* flags, unsigned which) {
  if (which & kConfigFlag) {
    sub->add_option("--config", flags->config_path,
                    "YAML configuration file (Java LTS key names: registryAddress, "
                    "clusterName, nodeGroup, ...); env LTS_CONFIG");
  }
  if (which & kRegistryFlags) {
    sub->add_option("--registry", flags->registry,
                    "Registry address: zookeeper://h:p[,h:p], redis://h:p or embedded://name; "
                    "env LTS_REGISTRY, key registryAddress");
    sub->add_option("--cluster", flags->cluster, "Cluster name; env LTS_CLUSTER, key clusterName")
        ->capture_default_str();
    sub->add_option("--session-timeout-ms", flags->session_timeout_ms,
                    "Registry session timeout (ZooKeeper) or record TTL (Redis): a node that "
                    "dies leaves the registry after about this long; env "
                    "LTS_SESSION_TIMEOUT_MS, key registry.session.timeout")
        ->capture_default_str()
        ->check(CLI::Range(1000, 600000));
    sub->add_option("--secret-file", flags->secret_file,
                    "File holding the cluster secret (>= 16 bytes) that authenticates every "
                    "connection; env LTS_SECRET_FILE, key clusterSecretFile");
  }
  if (which & kJobTrackerFlag) {
    sub->add_option("--jobtracker", flags->jobtrackers,
                    "JobTracker address host:port, repeatable; used when no --registry is "
                    "given (default 127.0.0.1:35001); env LTS_JOBTRACKER (comma-separated), "
                    "key jobTrackers")
        ->allow_extra_args(false);  // One address per --jobtracker: positionals follow.
  }
  if (which & kGroupFlag) {
    sub->add_option("--group", flags->group, "Node group; env LTS_GROUP, key nodeGroup")
        ->capture_default_str();
  }
  if (which & kIdentityFlag) {
    sub->add_option("--identity", flags->identity,
                    "Unique node identity (default <command>-<host>-<pid>); env LTS_IDENTITY, "
                    "key identity");
  }
  if (which & kDataDirFlag) {
    sub->add_option("--data-dir", flags->data_dir,
                    "Directory for local state (FailStore, SQLite store); env LTS_DATA_DIR, "
                    "key dataPath")
        ->capture_default_str();
  }
  if (which & kThreadsFlag) {
    sub->add_option("--threads", flags->threads, "Work threads; env LTS_THREADS, key workThreads")
        ->capture_default_str();
  }
}

Status ResolveNodeFlags(const CLI::App& sub, std::string_view command, unsigned which,
                        NodeFlags* flags) {
  if (which & kConfigFlag) {
    if (!Given(sub, "--config")) {
      if (const char* v = Env("LTS_CONFIG")) flags->config_path = v;
    }
    if (!flags->config_path.empty()) {
      LTS_ASSIGN_OR_RETURN(flags->config, Config::LoadFile(flags->config_path));
    }
  }
  if (which & kRegistryFlags) {
    LTS_RETURN_IF_ERROR(ResolveSetting(sub, flags->config, "--registry", "LTS_REGISTRY",
                                       "registryAddress", &flags->registry));
    LTS_RETURN_IF_ERROR(ResolveSetting(sub, flags->config, "--cluster", "LTS_CLUSTER",
                                       "clusterName", &flags->cluster));
    LTS_RETURN_IF_ERROR(ResolveSetting(sub, flags->config, "--secret-file", "LTS_SECRET_FILE",
                                       "clusterSecretFile", &flags->secret_file));
    if (!flags->registry.empty()) {
      auto parsed = registry::ParseRegistryAddress(flags->registry);
      if (!parsed.ok()) {
        return InvalidArgument(fmt::format("--registry: {}", parsed.status().message()));
      }
    }
    if (flags->cluster.empty()) return InvalidArgument("--cluster: must not be empty");
    LTS_RETURN_IF_ERROR(ResolveInt(sub, flags->config, "--session-timeout-ms",
                                   "LTS_SESSION_TIMEOUT_MS", "registry.session.timeout", 1000,
                                   600000, &flags->session_timeout_ms));
    if (!flags->secret_file.empty()) {
      std::ifstream in(flags->secret_file, std::ios::binary);
      if (!in) {
        return InvalidArgument(fmt::format("--secret-file: cannot read '{}'", flags->secret_file));
      }
      std::ostringstream text;
      text << in.rdbuf();
      flags->secret = text.str();
      while (!flags->secret.empty() &&
             (flags->secret.back() == '\n' || flags->secret.back() == '\r')) {
        flags->secret.pop_back();
      }
      if (flags->secret.size() < 16) {
        return InvalidArgument(fmt::format(
            "--secret-file: the secret in '{}' is shorter than 16 bytes", flags->secret_file));
      }
    }
  }
  if (which & kJobTrackerFlag) {
    if (!Given(sub, "--jobtracker")) {
      if (const char* v = Env("LTS_JOBTRACKER")) {
        flags->jobtrackers = SplitList(v);
      } else if (flags->config.Has("jobTrackers")) {
        LTS_ASSIGN_OR_RETURN(flags->jobtrackers, flags->config.GetStringList("jobTrackers", {}));
      }
    }
    if (flags->jobtrackers.empty() && flags->registry.empty()) {
      flags->jobtrackers.push_back("127.0.0.1:35001");
    }
  }
  if (which & kGroupFlag) {
    LTS_RETURN_IF_ERROR(
        ResolveSetting(sub, flags->config, "--group", "LTS_GROUP", "nodeGroup", &flags->group));
    if (flags->group.empty()) return InvalidArgument("--group: required");
  }
  if (which & kIdentityFlag) {
    LTS_RETURN_IF_ERROR(ResolveSetting(sub, flags->config, "--identity", "LTS_IDENTITY", "identity",
                                       &flags->identity));
    if (flags->identity.empty()) {
      flags->identity = fmt::format("{}-{}-{}", command, HostName(), getpid());
    }
  }
  if (which & kDataDirFlag) {
    LTS_RETURN_IF_ERROR(ResolveSetting(sub, flags->config, "--data-dir", "LTS_DATA_DIR", "dataPath",
                                       &flags->data_dir));
  }
  if (which & kThreadsFlag) {
    LTS_RETURN_IF_ERROR(ResolveInt(sub, flags->config, "--threads", "LTS_THREADS", "workThreads", 1,
                                   4096, &flags->threads));
    if (flags->threads < 1 || flags->threads > 4096) {
      return InvalidArgument(fmt::format("--threads: expected 1..4096, got {}", flags->threads));
    }
  }
  return Status::Ok();
}

}  // namespace lts::cli
