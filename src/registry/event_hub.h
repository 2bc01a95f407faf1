// EventHub: the part every registry backend shares. It keeps the listeners, the last node list
// seen per subscribed type, the last master per campaign and the connection state, turns what a
// backend observes into events, and runs the listeners on its own thread.
//
// A backend reports full observations (ApplySnapshot: "these are all the nodes of TYPE now";
// PublishMaster; PublishState); the hub diffs a snapshot against the previous one by identity
// (a node whose record changed gives a REMOVE of the old record then an ADD of the new one)
// and queues the events. Equal observations queue nothing, so a backend may re-read and
// re-report as often as it likes (after every watch, reconnection or reconciliation).
//
// Thread safety: every method may be called from any thread. Listeners run on the hub's
// thread, one at a time, in queue order, with no hub lock held. Lock order: a backend may call
// the hub while holding its own locks; the hub never calls a backend.

#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "registry/registry.h"

namespace lts::registry::internal {

// Checks the arguments of Registry::Campaign. Errors: kInvalidArgument.
Status CheckCampaignArgs(const std::string& group, const std::string& identity);

class EventHub {
 public:
  EventHub() = default;
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;
  ~EventHub();  // Stops.

  // Starts the listener thread. Events queued before Start() run once it starts.
  void Start() EXCLUDES(mu_);
  // Joins the listener thread; events still queued are dropped. Idempotent.
  // REQUIRES: not called from a listener.
  void Stop() EXCLUDES(mu_);

  // Adds a listener of `type`. If the type already has a list, the listener alone is sent
  // one kAdd per node in it; otherwise it gets the ADDs of the first snapshot like every one.
  void AddNodeListener(NodeType type, NodeListener listener) EXCLUDES(mu_);
  bool IsSubscribed(NodeType type) const EXCLUDES(mu_);
  std::vector<NodeType> SubscribedTypes() const EXCLUDES(mu_);

  // Records that `nodes` is the complete current list of `type` and queues the differences
  // from the previous list (if the type has listeners).
  void ApplySnapshot(NodeType type, std::vector<Node> nodes) EXCLUDES(mu_);
  // The last snapshot of `type`, sorted by identity; nullopt before the first one (backends
  // apply snapshots only for subscribed types, so a value means a live subscribed view).
  std::optional<std::vector<Node>> Snapshot(NodeType type) const EXCLUDES(mu_);

  // Campaign listeners, per (type, group); PublishMaster queues `master` to them when it
  // differs from the last value published for that key.
  void AddMasterListener(NodeType type, const std::string& group, MasterListener listener)
      EXCLUDES(mu_);
  void PublishMaster(NodeType type, const std::string& group, const MasterInfo& master)
      EXCLUDES(mu_);
  // The last published master of every campaign key that has one.
  std::optional<MasterInfo> LastMaster(NodeType type, const std::string& group) const EXCLUDES(mu_);

  void AddStateListener(StateListener listener) EXCLUDES(mu_);
  // Queues `state` to the state listeners (every call, also repeated states).
  void PublishState(ConnectionState state) EXCLUDES(mu_);

 private:
  using MasterKey = std::pair<NodeType, std::string>;
  using Task = std::function<void()>;

  void Post(Task task) REQUIRES(mu_);
  void Run() EXCLUDES(mu_);

  mutable Mutex mu_;
  CondVar cv_;
  std::deque<Task> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  bool started_ GUARDED_BY(mu_) = false;
  std::thread::id thread_id_;  // The listener thread, once started.
  std::thread thread_;

  std::map<NodeType, std::vector<std::shared_ptr<NodeListener>>> node_listeners_ GUARDED_BY(mu_);
  std::map<NodeType, std::map<std::string, Node>> snapshots_ GUARDED_BY(mu_);  // By identity.
  std::map<MasterKey, std::vector<std::shared_ptr<MasterListener>>> master_listeners_
      GUARDED_BY(mu_);
  std::map<MasterKey, MasterInfo> masters_ GUARDED_BY(mu_);
  std::vector<std::shared_ptr<StateListener>> state_listeners_ GUARDED_BY(mu_);
};

}  // namespace lts::registry::internal
