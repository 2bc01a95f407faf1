// ZooKeeperRegistry: the registry over ZooKeeper 3.x through libzookeeper-mt (zk_client.h).
//
//   nodes     /LTS/{cluster}/NODES/{TYPE}/{Node::Encode()}, ephemeral, no data, parents
//             persistent. Ownership is checked (ephemeralOwner == our session) on every
//             (re)creation, so a record left by an older session is replaced, not adopted.
//   watches   a child watch on /LTS/{cluster}/NODES/{TYPE} per subscribed type, re-armed by every
//             read; each read is a full snapshot handed to the EventHub (diffed there).
//   election  /LTS/{cluster}/MASTERS/{TYPE}/{group}/latch-{uuid}-{seq}, ephemeral-sequential,
//             data = candidate identity. The lowest sequence holds the term. The epoch of a term
//             is the czxid of the leader's latch znode: zxids only grow, and a later leader's
//             latch was always created after the previous leader's, so epochs strictly increase
//             across terms, including terms that end by session expiry. The uuid lets a
//             candidate find its own latch after a create whose reply was lost.
//
// Sessions: one worker thread owns the session life cycle. Watcher callbacks (on the client's
// completion thread) only queue events for it. CONNECTING after CONNECTED publishes kSuspended
// (and an empty MasterInfo to campaigners); CONNECTED again in the same session publishes
// kReconnected; EXPIRED publishes kExpired, closes the handle and opens a new session, in
// which the worker re-creates every registration and latch and re-arms every watch, then
// publishes kReconnected. A session suspended for a whole (negotiated) session timeout is
// given up the same way without waiting for the server to say so (as Curator does): the
// server has expired it by then, and a server that lost its data never would. Failed steps are
// retried with exponential backoff (100 ms to 2 s).
//
// Thread safety: as Registry. Locks: ops_mu_ (serializes ZooKeeper write sequences) before mu_.

#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "registry/event_hub.h"
#include "registry/registry.h"
#include "registry/zookeeper/zk_client.h"

namespace lts::registry {

class ZooKeeperRegistry final : public Registry {
 public:
  // `hosts` is the connect string "h:p[,h:p]". options.clock must outlive the registry.
  ZooKeeperRegistry(std::string hosts, const RegistryOptions& options);
  ~ZooKeeperRegistry() override;

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

  // The current session's id and 16-byte password, for tests that expire it by opening a
  // second handle on the same session and closing it. Errors: kUnavailable (no session).
  StatusOr<clientid_t> SessionForTest() const;

 private:
  using MasterKey = std::pair<NodeType, std::string>;
  struct Registration {
    Node node;
    std::string path;
    int64_t session = 0;  // Session in which the znode was last confirmed; 0: not yet.
  };
  struct CampaignState {
    std::string identity;
    std::string uuid;   // Latch name prefix of this candidate.
    std::string latch;  // Child name of our latch in `session`; empty: none yet.
    int64_t session = 0;
  };
  struct WatchEvent {
    zhandle_t* zh;
    int type;
    int state;
    std::string path;
  };

  static void Watcher(zhandle_t* zh, int type, int state, const char* path, void* context);
  void Run() EXCLUDES(mu_, ops_mu_);
  void HandleEvent(const WatchEvent& event) REQUIRES(mu_);
  Status OpenHandle() REQUIRES(mu_);
  // Gives the session up: kExpired, an empty MasterInfo to campaigns, the handle retired.
  void ExpireSession(std::string_view why) REQUIRES(mu_);
  // When a suspended session is given up locally (monotonic us); 0: not suspended.
  int64_t LocalExpiryAt() const REQUIRES(mu_);
  // Brings every registration, watch and campaign up to date in the current session.
  Status Reconcile() EXCLUDES(mu_) REQUIRES(ops_mu_);
  Status RefreshType(zhandle_t* zh, NodeType type, bool watch) EXCLUDES(mu_);
  StatusOr<std::vector<Node>> ReadType(zhandle_t* zh, NodeType type, bool watch);
  Status EvaluateCampaign(zhandle_t* zh, int64_t session, const MasterKey& key) EXCLUDES(mu_)
      REQUIRES(ops_mu_);
  StatusOr<std::optional<MasterInfo>> ReadMaster(zhandle_t* zh, const MasterKey& key,
                                                 const std::string& own_latch, bool watch);
  // The handle if a session is established now, else null.
  std::shared_ptr<zk::Handle> ConnectedHandle(int64_t* session) EXCLUDES(mu_);
  std::string ElectionPath(const MasterKey& key) const;
  void PublishNoMasters() REQUIRES(mu_);
  void Wake() EXCLUDES(mu_);

  const std::string hosts_;
  const RegistryOptions options_;
  const Clock* const clock_;
  internal::EventHub hub_;

  Mutex ops_mu_;  // Taken before mu_.
  mutable Mutex mu_;
  CondVar cv_;
  std::shared_ptr<zk::Handle> handle_ GUARDED_BY(mu_);
  std::deque<WatchEvent> events_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  bool started_ GUARDED_BY(mu_) = false;
  bool connected_ GUARDED_BY(mu_) = false;  // The handle's session is connected now.
  bool ever_connected_ GUARDED_BY(mu_) = false;
  bool expired_ GUARDED_BY(mu_) = false;            // kExpired published, new session not yet up.
  int64_t session_ GUARDED_BY(mu_) = 0;             // Session id of the last CONNECTED event.
  int session_timeout_ms_ GUARDED_BY(mu_) = 0;      // As negotiated with the server.
  int64_t suspended_at_us_ GUARDED_BY(mu_) = 0;     // Monotonic; 0 unless suspended.
  bool dirty_ GUARDED_BY(mu_) = false;              // Something needs Reconcile().
  std::set<NodeType> stale_types_ GUARDED_BY(mu_);  // Child watch fired / needs re-read.
  std::map<std::string, Registration> registrations_ GUARDED_BY(mu_);  // By identity.
  std::map<MasterKey, CampaignState> campaigns_ GUARDED_BY(mu_);
  int64_t retry_at_us_ GUARDED_BY(mu_) = 0;  // Monotonic; 0: no retry pending.
  int backoff_ms_ GUARDED_BY(mu_) = 0;
  std::set<std::string> orphans_ GUARDED_BY(mu_);  // Old record paths still to delete.
  // Replaced handles, closed by Run() or Stop() outside mu_ (zookeeper_close joins the thread
  // that runs Watcher, which takes mu_).
  std::vector<std::shared_ptr<zk::Handle>> retired_ GUARDED_BY(mu_);
  std::thread worker_;
};

}  // namespace lts::registry
