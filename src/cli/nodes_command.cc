// `lts nodes`: the nodes registered in a ZooKeeper or Redis registry, and the master of each
// (type, group).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/table.h"
#include "registry/registry.h"

namespace lts::cli {
namespace {

struct NodesArgs {
  std::string registry;
  std::string cluster;
  bool json = false;
  std::string type;  // Empty: every type.
  int timeout_ms = 5000;
};

struct Listing {
  std::vector<registry::Node> nodes;
  std::map<std::pair<registry::NodeType, std::string>, registry::MasterInfo> masters;
};

const registry::MasterInfo* MasterOf(const Listing& listing, const registry::Node& node) {
  auto it = listing.masters.find({node.type, node.group});
  return it == listing.masters.end() ? nullptr : &it->second;
}

void PrintNodesTable(const Listing& listing, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {
      {"TYPE", "GROUP", "IDENTITY", "ADDRESS", "THREADS", "AVAILABLE", "MASTER"}};
  for (const registry::Node& node : listing.nodes) {
    const registry::MasterInfo* master = MasterOf(listing, node);
    rows.push_back({std::string(registry::NodeTypeName(node.type)), node.group, node.identity,
                    node.Address(), std::to_string(node.threads), node.available ? "yes" : "no",
                    master != nullptr && master->identity == node.identity
                        ? "yes (epoch " + std::to_string(master->epoch) + ")"
                        : ""});
  }
  PrintTable(rows, out);
  if (listing.nodes.empty()) out << "(no nodes registered)\n";
}

void PrintJson(const NodesArgs& args, const Listing& listing, std::ostream& out) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const registry::Node& node : listing.nodes) {
    const registry::MasterInfo* master = MasterOf(listing, node);
    const bool is_master = master != nullptr && master->identity == node.identity;
    nlohmann::json entry = {{"type", registry::NodeTypeName(node.type)},
                            {"group", node.group},
                            {"identity", node.identity},
                            {"ip", node.ip},
                            {"port", node.port},
                            {"address", node.Address()},
                            {"threads", node.threads},
                            {"available", node.available},
                            {"create_time_ms", node.create_time_ms},
                            {"attributes", node.attributes},
                            {"master", is_master}};
    if (is_master) entry["epoch"] = master->epoch;
    nodes.push_back(std::move(entry));
  }
  nlohmann::json masters = nlohmann::json::array();
  for (const auto& [key, master] : listing.masters) {
    masters.push_back({{"type", registry::NodeTypeName(key.first)},
                       {"group", key.second},
                       {"identity", master.identity},
                       {"epoch", master.epoch}});
  }
  const nlohmann::json doc = {{"registry", args.registry},
                              {"cluster", args.cluster},
                              {"nodes", std::move(nodes)},
                              {"masters", std::move(masters)}};
  // Registry values are arbitrary bytes: replace invalid UTF-8 rather than throw.
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int RunNodes(const NodesArgs& args, CommandContext* ctx) {
  StatusOr<registry::RegistryAddress> address = registry::ParseRegistryAddress(args.registry);
  if (!address.ok()) {
    *ctx->err << "lts nodes: --registry: " << address.status().message() << "\n";
    return 2;
  }
  if (address->kind == registry::RegistryAddress::Kind::kEmbedded) {
    *ctx->err << "lts nodes: " << args.registry
              << " is the in-process registry of one `lts standalone` process; another process "
                 "cannot see it. List the nodes of a cluster through its zookeeper:// or "
                 "redis:// address.\n";
    return 1;
  }
  std::vector<registry::NodeType> types(std::begin(registry::kAllNodeTypes),
                                        std::end(registry::kAllNodeTypes));
  if (!args.type.empty()) {
    StatusOr<registry::NodeType> type = registry::ParseNodeType(args.type);
    if (!type.ok()) {
      *ctx->err << "lts nodes: --type: " << type.status().message()
                << " (JOB_TRACKER, TASK_TRACKER, JOB_CLIENT, MONITOR, ADMIN)\n";
      return 2;
    }
    types = {*type};
  }
  registry::RegistryOptions options;
  options.address = args.registry;
  options.cluster = args.cluster;
  options.connect_timeout_ms = args.timeout_ms;
  StatusOr<std::unique_ptr<registry::Registry>> reg = registry::CreateRegistry(options);
  if (!reg.ok()) {
    *ctx->err << "lts nodes: " << reg.status().message() << "\n";
    return 2;
  }
  if (Status status = (*reg)->Start(); !status.ok()) {
    *ctx->err << "lts nodes: " << status.message() << "\n";
    return 1;
  }
  Listing listing;
  for (registry::NodeType type : types) {
    StatusOr<std::vector<registry::Node>> nodes = (*reg)->List(type);
    if (!nodes.ok()) {
      *ctx->err << "lts nodes: " << nodes.status().message() << "\n";
      (*reg)->Stop();
      return 1;
    }
    for (registry::Node& node : *nodes) {
      if (listing.masters.count({node.type, node.group}) == 0) {
        StatusOr<std::optional<registry::MasterInfo>> master =
            (*reg)->Master(node.type, node.group);
        if (master.ok() && master->has_value()) {
          listing.masters[{node.type, node.group}] = **master;
        }
      }
      listing.nodes.push_back(std::move(node));
    }
  }
  (*reg)->Stop();
  if (args.json) {
    PrintJson(args, listing, *ctx->out);
  } else {
    PrintNodesTable(listing, *ctx->out);
  }
  return 0;
}

}  // namespace

void AddNodesCommand(CLI::App* app, CommandContext* ctx) {
  auto args = std::make_shared<NodesArgs>();
  CLI::App* nodes = app->add_subcommand(
      "nodes",
      "List the nodes registered in a registry: type, group, identity, address, threads, "
      "availability, and which node is the master of its (type, group) with the epoch of its "
      "term. Exit status: 0 listed (possibly no nodes), 1 the registry could not be reached or "
      "read, or it is an embedded:// registry (visible only inside its own process), 2 bad "
      "usage or a malformed address.");
  nodes
      ->add_option("--registry", args->registry,
                   "Registry address: zookeeper://host:port[,host:port] or redis://host:port")
      ->required();
  nodes->add_option("--cluster", args->cluster, "Cluster name (the {cluster} of /LTS/{cluster}/)")
      ->required();
  nodes->add_flag("--json", args->json,
                  "Print one JSON document {registry, cluster, nodes: [...], masters: [...]}");
  nodes->add_option("--type", args->type,
                    "Only this node type: JOB_TRACKER, TASK_TRACKER, JOB_CLIENT, MONITOR, ADMIN");
  nodes->add_option("--timeout-ms", args->timeout_ms, "How long to wait for the connection")
      ->default_val(5000)
      ->check(CLI::Range(1, 600000));
  nodes->callback([args, ctx] { ctx->exit_code = RunNodes(*args, ctx); });
}

}  // namespace lts::cli
