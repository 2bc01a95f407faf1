// The registry: how LTS nodes find each other and elect a master per (node type, node group).
//
// Every node registers a Node record (type, group, identity, address, threads, attributes) and
// subscribes to the node types it needs; listeners receive ADD and REMOVE events. A node that
// may act as master (a JobTracker, the FailStore replayer of a group) campaigns; each term of a
// master carries an epoch, a fencing token that is strictly increasing per (type, group) across
// terms, which the master attaches to its writes so that a deposed master's late writes can be
// refused.
//
// Three backends, chosen by the address (CreateRegistry):
//   embedded://[name]            in-process only; instances with the same name share state.
//   zookeeper://host:port[,...]  libzookeeper-mt: ephemeral znodes, child watches, a leader latch.
//   redis://host:port            hiredis: keys with server-side TTL, pub/sub, SET NX PX leader
//   lock.
// Layout, escaping, events, guarantees and their limits: docs/registry.md.
//
// Thread safety: every Registry method may be called from any thread, including from inside a
// listener. Listeners (NodeListener, MasterListener, StateListener) run on one thread owned by the
// registry, one at a time, in the order the registry observed the changes, never while a registry
// lock is held. A listener must not block for long (no network round trips, no fsync): it delays
// every later event of this registry. Stop() joins that thread; no listener runs after Stop()
// returns.

#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "lts/status.h"
#include "lts/statusor.h"

namespace lts::registry {

enum class NodeType { kJobTracker, kTaskTracker, kJobClient, kMonitor, kAdmin };

inline constexpr NodeType kAllNodeTypes[] = {NodeType::kJobTracker, NodeType::kTaskTracker,
                                             NodeType::kJobClient, NodeType::kMonitor,
                                             NodeType::kAdmin};

// The Java name used in paths: "JOB_TRACKER", "TASK_TRACKER", "JOB_CLIENT", "MONITOR", "ADMIN".
std::string_view NodeTypeName(NodeType type);
// The inverse of NodeTypeName. Errors: kInvalidArgument naming the text.
StatusOr<NodeType> ParseNodeType(std::string_view name);

// Limits enforced by Node::Validate (and so by Encode, Decode and Register).
inline constexpr size_t kMaxNameLength = 64;         // cluster, group, identity (as in Java LTS).
inline constexpr size_t kMaxIpLength = 64;           // A host name or an IPv4/IPv6 literal.
inline constexpr size_t kMaxAttributes = 32;         // Entries of Node::attributes.
inline constexpr size_t kMaxAttributeKey = 64;       // Bytes.
inline constexpr size_t kMaxAttributeValue = 256;    // Bytes.
inline constexpr size_t kMaxEncodedNodeName = 8192;  // Bytes of an encoded child name.

// One registered node. Two Nodes are the same node when their identities are equal.
struct Node {
  NodeType type = NodeType::kTaskTracker;
  std::string cluster;         // Only nodes of the same cluster see each other. Non-empty.
  std::string group;           // Node group: the routing key of jobs (TaskTracker). Non-empty.
  std::string identity;        // Unique per node. Non-empty.
  std::string ip;              // Where the node listens (or runs, when port is 0).
  int port = 0;                // 0: the node does not listen (TaskTracker, JobClient).
  int threads = 0;             // Work threads (meaningful for TaskTrackers); >= 0.
  int64_t create_time_ms = 0;  // Wall clock at node start, milliseconds since the epoch.
  bool available = true;       // false: registered but must not receive work.
  // Free extra settings ("hostName", "httpCmdPort", ...). Keys must not be one of the
  // reserved names of the encoding (group, clusterName, threads, identity, createTime,
  // isAvailable).
  std::map<std::string, std::string> attributes;

  // Checks the limits above, the ranges of port and threads and the reserved keys.
  // Errors: kInvalidArgument naming the field.
  Status Validate() const;

  // The child name under /LTS/{cluster}/NODES/{TYPE}/ in the Java LTS layout:
  //   {TYPE}:\\{ip}[:{port}]?group={g}&clusterName={c}[&threads={n}]&identity={id}
  //   &createTime={ms}&isAvailable={true|false}[&{key}={value}...]
  // (a colon and two literal backslashes after the type). Every value and attribute key is
  // percent-encoded: bytes outside [A-Za-z0-9._~-] become %XX, so '/', '?', '&', '=', ':',
  // '%', spaces and non-ASCII bytes never appear raw. Errors: those of Validate().
  StatusOr<std::string> Encode() const;

  // "/LTS/{cluster}/NODES/{TYPE}/" + Encode(), the cluster percent-encoded too.
  StatusOr<std::string> EncodePath() const;

  // Parses a child name produced by Encode(). Never crashes on any input; malformed input
  // (unknown type, bad escape, missing identity/group/clusterName, duplicate keys, bad
  // numbers, limits exceeded) is kInvalidArgument.
  static StatusOr<Node> Decode(std::string_view name);

  // "ip:port" or "ip" when port is 0.
  std::string Address() const;

  friend bool operator==(const Node& a, const Node& b) = default;
};

// Percent-encodes every byte outside [A-Za-z0-9._~-] (used for values and path segments).
std::string EscapeValue(std::string_view value);
// The inverse. Errors: kInvalidArgument for a truncated or non-hex escape.
StatusOr<std::string> UnescapeValue(std::string_view text);

// "/LTS/{cluster}/NODES/{TYPE}": the parent of every node of a type.
std::string NodeTypePath(std::string_view cluster, NodeType type);

struct NodeEvent {
  enum class Kind { kAdd, kRemove };
  Kind kind = Kind::kAdd;
  Node node;
  // Every node of node.type as this registry knows it after the observation this event comes
  // from, sorted by identity: the consistent current list. All events of one observation (a
  // re-read after a watch, a reconnection, a reconciliation) share it.
  std::shared_ptr<const std::vector<Node>> nodes;
};
using NodeListener = std::function<void(const NodeEvent& event)>;

// A master term. identity empty: no master is known right now (none elected yet, or this
// registry lost its connection and cannot tell).
struct MasterInfo {
  std::string identity;
  int64_t epoch = 0;     // Fencing token: strictly increasing per (type, group) across terms.
  bool is_self = false;  // true only on the campaigning registry that holds the term.
  friend bool operator==(const MasterInfo& a, const MasterInfo& b) = default;
};
using MasterListener = std::function<void(const MasterInfo& master)>;

// The connection to the coordination service:
//   kConnected    first connection (after Start()).
//   kSuspended    connection lost; the session may still be alive. Ephemeral state and the
//                 master term are in doubt: a master stops acting as one (its MasterListener
//                 also gets an empty MasterInfo).
//   kReconnected  connected again; registrations, watches and campaigns are restored
//                 (after kExpired: re-created in a new session).
//   kExpired      the session is gone: the server dropped this node's registrations and its
//                 master term. The registry re-creates them in a new session by itself.
enum class ConnectionState { kConnected, kSuspended, kReconnected, kExpired };
std::string_view ConnectionStateName(ConnectionState state);
using StateListener = std::function<void(ConnectionState state)>;

struct RegistryOptions {
  // "zookeeper://h:p[,h:p]", "redis://h:p", "embedded://[name]".
  std::string address;
  // The LTS cluster name: part of every path. Non-empty, at most kMaxNameLength bytes.
  std::string cluster = "defaultCluster";
  // ZooKeeper session timeout, Redis key TTL (node records and the leader lock). A node
  // that dies is removed, and its master term ends, after about this long.
  int session_timeout_ms = 10000;
  // How long Start() waits for the first connection before returning kUnavailable; the
  // registry keeps no thread when Start() fails.
  int connect_timeout_ms = 10000;
  // Redis: how often the full node lists are re-read (SCAN) besides pub/sub hints.
  int reconcile_interval_ms = 1000;
  // Time source for backoff and measurements. Not owned; must outlive the registry.
  // nullptr: SystemClock::Default().
  const Clock* clock = nullptr;
};

class Registry {
 public:
  virtual ~Registry() = default;

  // Connects and starts the registry's threads. Blocks up to connect_timeout_ms.
  // Errors: kUnavailable (no connection), kFailedPrecondition (started twice).
  virtual Status Start() = 0;

  // Unregisters this registry's nodes, resigns its campaigns, disconnects and joins its
  // threads. Idempotent. Blocks (bounded by a few round trips).
  virtual void Stop() = 0;

  // Registers (or re-registers, with changed fields) `node`, whose cluster must be the
  // registry's. The registry keeps the record alive: it re-creates it after a session
  // expiry or a server restart until Unregister() or Stop(). Returns once the first write
  // succeeded. Errors: kInvalidArgument (bad node), kUnavailable (not connected now; the
  // registration is kept and retried), kFailedPrecondition (not started).
  virtual Status Register(const Node& node) = 0;
  // Removes the node registered with node.identity. Errors: kNotFound, kUnavailable.
  virtual Status Unregister(const Node& node) = 0;

  // Adds a listener of `type`. It first receives one kAdd per node already known, then every
  // change. Errors: kFailedPrecondition (not started).
  virtual Status Subscribe(NodeType type, NodeListener listener) = 0;

  // The nodes of `type`, sorted by identity: the subscribed view when `type` is subscribed,
  // otherwise read from the server (blocks for a round trip). Errors: kUnavailable.
  virtual StatusOr<std::vector<Node>> List(NodeType type) = 0;

  // Enters the election of (type, group) as `identity` (normally the identity of a node this
  // registry registered). `listener` gets every change of the master of that group, including
  // terms of other candidates. One campaign per (type, group) per registry.
  // Errors: kAlreadyExists, kInvalidArgument, kFailedPrecondition (not started).
  virtual Status Campaign(NodeType type, const std::string& group, const std::string& identity,
                          MasterListener listener) = 0;

  // The current master of (type, group) as seen now (may read from the server; blocks).
  // nullopt: no master. Errors: kUnavailable.
  virtual StatusOr<std::optional<MasterInfo>> Master(NodeType type, const std::string& group) = 0;

  // Adds a listener of connection-state changes.
  virtual void AddStateListener(StateListener listener) = 0;
};

// What an address names: the backend and its part after the scheme.
struct RegistryAddress {
  enum class Kind { kEmbedded, kZooKeeper, kRedis };
  Kind kind = Kind::kEmbedded;
  std::string target;  // Embedded: the name ("" is the default); others: "h:p[,h:p]".
};
// Errors: kInvalidArgument naming the address (unknown scheme, empty or malformed host list,
// a port outside 1..65535, more than one host for redis://).
StatusOr<RegistryAddress> ParseRegistryAddress(std::string_view address);

// Creates an unstarted registry for options.address. Errors: kInvalidArgument naming the
// address or the cluster.
StatusOr<std::unique_ptr<Registry>> CreateRegistry(const RegistryOptions& options);

// CreateRegistry, then Start(). Errors: those of both, Start()'s naming the address.
StatusOr<std::unique_ptr<Registry>> StartRegistry(const RegistryOptions& options);

}  // namespace lts::registry
