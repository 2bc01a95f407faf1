// registry_node_helper: a test-only process that registers one node and optionally campaigns,
// so tests can kill a registry member with SIGKILL. Prints "ready" once registered; SIGTERM
// or SIGINT stop it gracefully (unregister, resign, exit 0).
//
//   registry_node_helper --registry ADDR --cluster C --type JOB_TRACKER --group G
//                        --identity ID [--session-timeout-ms N] [--campaign]

#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "registry/registry.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "registry_node_helper: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lts::registry;
  RegistryOptions options;
  std::string type_name = "JOB_TRACKER", group = "lts", identity;
  bool campaign = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--campaign") {
      campaign = true;
    } else if (arg == "--registry" && has_value) {
      options.address = argv[++i];
    } else if (arg == "--cluster" && has_value) {
      options.cluster = argv[++i];
    } else if (arg == "--type" && has_value) {
      type_name = argv[++i];
    } else if (arg == "--group" && has_value) {
      group = argv[++i];
    } else if (arg == "--identity" && has_value) {
      identity = argv[++i];
    } else if (arg == "--session-timeout-ms" && has_value) {
      options.session_timeout_ms = std::atoi(argv[++i]);
    } else {
      return Fail("bad argument " + arg);
    }
  }
  lts::StatusOr<NodeType> type = ParseNodeType(type_name);
  if (!type.ok()) return Fail(type.status().ToString());
  // Block the stop signals before any thread starts, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  lts::StatusOr<std::unique_ptr<Registry>> registry = CreateRegistry(options);
  if (!registry.ok()) return Fail(registry.status().ToString());
  lts::Status status = (*registry)->Start();
  if (!status.ok()) return Fail(status.ToString());
  Node node;
  node.type = *type;
  node.cluster = options.cluster;
  node.group = group;
  node.identity = identity;
  node.ip = "127.0.0.1";
  node.port = 35001;
  node.create_time_ms = 1700000000000;
  status = (*registry)->Register(node);
  if (!status.ok()) return Fail(status.ToString());
  if (campaign) {
    status = (*registry)->Campaign(*type, group, identity, [](const MasterInfo&) {});
    if (!status.ok()) return Fail(status.ToString());
  }
  std::printf("ready\n");
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*registry)->Stop();
  return 0;
}
