// RedisRegistry: the registry over one Redis server (hiredis, redis_connection.h).
//
//   nodes     key /LTS/{cluster}/NODES/{TYPE}/{Node::Encode()}, value the identity, with a
//             server-side TTL of session_timeout_ms, rewritten by a heartbeat every third of
//             it (SET ... PX ... GET: a nil old value means the key had gone, e.g. after a
//             Redis restart, and is announced). No client clock is compared with anything.
//   hints     PUBLISH on /LTS/{cluster}/NODES (message: the TYPE) after every write, and on
//             /LTS/{cluster}/MASTERS (message: TYPE/group) after every leader change. A
//             subscriber thread turns them into re-reads. Expiry is not announced, so every
//             subscribed type is also re-read every reconcile_interval_ms with SCAN MATCH
//             (never KEYS); each read is a full snapshot handed to the EventHub.
//   election  key /LTS/{cluster}/MASTERS/{TYPE}/{group} = "{epoch} {identity}" taken with
//             SET NX PX (TTL session_timeout_ms) in a Lua script that also INCRs the fencing
//             counter /LTS/{cluster}/MASTERS/{TYPE}/{group}/epoch; the holder renews it with a
//             compare-and-PEXPIRE script, releases it with compare-and-DEL. Candidates poll
//             every session_timeout_ms/8 (50..500 ms).
//
// Connection states: kConnected, kSuspended (a command failed), kReconnected. Redis has no
// sessions, so kExpired is never reported; a record that expired while disconnected is
// re-created by the next heartbeat.
//
// Thread safety: as Registry. Threads: a worker (heartbeats, reads, campaigns, reconnection)
// and a subscriber. Locks: conn_mu_ (the command connection) before mu_.

#pragma once

#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "base/mutex.h"
#include "registry/event_hub.h"
#include "registry/redis/redis_connection.h"
#include "registry/registry.h"

namespace lts::registry {

class RedisRegistry final : public Registry {
 public:
  // `target` is "host:port". options.clock must outlive the registry.
  RedisRegistry(const std::string& target, const RegistryOptions& options);
  ~RedisRegistry() override;

  Status Start() override;
  void Stop() override;
  Status Register(const Node& node) override;
  Status Unregister(const Node& node) override;
  Status Subscribe(NodeType type, NodeListener listener) override;
  StatusOr<std::vector<Node>> List(NodeType type) override;
  Status Campaign(NodeType type, const std::string& group, const std::string& identity,
                  MasterListener listener) override;
  StatusOr<std::optional<MasterInfo>> Master(NodeType type, const std::string& group) override;
  void AddStateListener(StateListener listener) override;

 private:
  using MasterKey = std::pair<NodeType, std::string>;
  struct CampaignState {
    std::string identity;
    std::string held;  // The value of the leader key while we hold it; empty otherwise.
  };

  void RunWorker() EXCLUDES(mu_, conn_mu_);
  void RunSubscriber() EXCLUDES(mu_);
  // One worker round; `heartbeat` and `reconcile` say which periodic parts are due.
  void Tick(bool heartbeat, bool reconcile) REQUIRES(conn_mu_);
  Status Connect() REQUIRES(conn_mu_);
  // Records a failed command: publishes kSuspended once.
  void NoteFailure(const Status& status) REQUIRES(conn_mu_);
  Status WriteRecord(const Node& node, const std::string& key) REQUIRES(conn_mu_);
  StatusOr<std::vector<Node>> ReadType(NodeType type) REQUIRES(conn_mu_);
  Status EvaluateCampaign(const MasterKey& key) REQUIRES(conn_mu_);
  StatusOr<std::optional<MasterInfo>> ReadMaster(const MasterKey& key) REQUIRES(conn_mu_);
  Status Publish(const std::string& channel, const std::string& message) REQUIRES(conn_mu_);
  std::string LeaderKey(const MasterKey& key) const;
  Status CheckRunning() const EXCLUDES(mu_);

  const std::string host_;
  const int port_;
  const RegistryOptions options_;
  const Clock* const clock_;
  const std::string nodes_channel_;
  const std::string masters_channel_;
  internal::EventHub hub_;

  Mutex conn_mu_;  // Taken before mu_.
  redis::Connection conn_ GUARDED_BY(conn_mu_);
  bool connected_ GUARDED_BY(conn_mu_) = false;
  bool ever_connected_ GUARDED_BY(conn_mu_) = false;
  std::map<std::string, std::pair<Node, std::string>> registrations_ GUARDED_BY(conn_mu_);
  std::map<MasterKey, CampaignState> campaigns_ GUARDED_BY(conn_mu_);
  std::map<MasterKey, int64_t> max_epoch_ GUARDED_BY(conn_mu_);  // Highest epoch seen per key.

  mutable Mutex mu_;
  CondVar cv_;
  bool started_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool hinted_ GUARDED_BY(mu_) = false;  // A pub/sub message or a new subscription arrived.
  bool resync_ GUARDED_BY(mu_) = false;  // The subscriber (re)connected: re-read everything.
  std::set<NodeType> stale_types_ GUARDED_BY(mu_);
  int sub_fd_ GUARDED_BY(mu_) = -1;  // The subscriber's socket, to wake it on Stop().
  std::thread worker_;
  std::thread subscriber_;
};

}  // namespace lts::registry
