// JobTrackerLinks: how a TaskTracker, a JobClient or the Admin reaches the JobTrackers of
// its cluster. It owns one IO loop thread and one RpcClient per known JobTracker:
//   - with a registry address, it registers `self`, subscribes to JOB_TRACKER nodes and
//     keeps a connection to each (added and dropped as they come and go);
//   - without one, it connects to the fixed `jobtrackers` addresses.
// Calls go to a ready JobTracker (round robin) and fail over to the next on kUnavailable.
// Requests a JobTracker sends us (PUSH_JOB, JOB_ASK, TERMINATE_JOB, JOB_FEEDBACK) go to
// the processors given in the options, on every link.
//
// Threading: Start()/Stop() from the owner's thread; every other method is thread-safe.
// CallSync() blocks and must not be called on the IO loop (loop()).

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "lts/statusor.h"
#include "net/event_loop_thread.h"
#include "registry/registry.h"
#include "rpc/rpc_client.h"

namespace lts::node {

struct ProcessorSpec {
  uint16_t command = 0;
  rpc::Processor processor;
  rpc::ProcessorMode mode = rpc::ProcessorMode::kPool;
};

struct JobTrackerLinksOptions {
  // zookeeper://, redis:// or embedded://name; empty: use `jobtrackers`.
  std::string registry;
  std::string cluster = "defaultCluster";
  int session_timeout_ms = 10000;
  // "host:port" of each JobTracker, when no registry is given.
  std::vector<std::string> jobtrackers;
  // This node's registry record (registered when a registry is used).
  registry::Node self;
  // Connection settings of every link (cluster secret, identity, heartbeats). Its
  // on_ready/on_closed hooks are replaced by the ones below.
  rpc::RpcClient::Options rpc;
  // Processor threads for requests from JobTrackers (per link).
  int processor_threads = 2;
  std::vector<ProcessorSpec> processors;
  // A JobTracker became reachable (e.g. send it our free threads). IO loop; must not block.
  std::function<void(const std::shared_ptr<rpc::RpcChannel>&)> on_link_ready;
  // A registry already started by the caller (lts standalone shares one); not owned.
  registry::Registry* shared_registry = nullptr;
};

class JobTrackerLinks {
 public:
  explicit JobTrackerLinks(JobTrackerLinksOptions options);
  JobTrackerLinks(const JobTrackerLinks&) = delete;
  JobTrackerLinks& operator=(const JobTrackerLinks&) = delete;
  ~JobTrackerLinks();

  // Starts the IO loop, the registry (unless shared) and the connections. Does not wait
  // for a JobTracker to be reachable. Errors: kInvalidArgument naming a bad address;
  // kUnavailable when the registry cannot be reached.
  Status Start();
  // Unregisters, closes every link, joins the IO loop. Idempotent.
  void Stop();

  bool AnyReady() const;
  // Waits up to `timeout` for a ready link. Not on the IO loop.
  bool WaitReady(std::chrono::milliseconds timeout) const;

  // Calls a ready JobTracker; on kUnavailable (connection gone) tries the next ready one.
  // kUnavailable "no JobTracker reachable" when none is. Not on the IO loop.
  StatusOr<rpc::RpcResponse> CallSync(uint16_t command, std::string body,
                                      std::chrono::milliseconds deadline,
                                      rpc::BodyFormat format = rpc::BodyFormat::kJson);
  // Calls one ready JobTracker (round robin); `done` runs on the IO loop.
  void Call(uint16_t command, std::string body, std::chrono::milliseconds deadline,
            rpc::CallDone done, rpc::BodyFormat format = rpc::BodyFormat::kJson);
  // The ready links now.
  std::vector<std::shared_ptr<rpc::RpcClient>> ReadyLinks() const;

  net::EventLoop* loop() const { return loop_; }
  // The registry in use (owned or shared); nullptr without one.
  registry::Registry* registry() const { return registry_; }

 private:
  void AddLink(const std::string& key, const std::string& address);
  void RemoveLink(const std::string& key);
  std::vector<std::shared_ptr<rpc::RpcClient>> Snapshot() const;

  // What the registry listener reaches this object through. The registry has no
  // Unsubscribe, and a shared registry outlives us: Stop() clears `links` (under `mu`, so
  // it also waits for a listener call in progress) and later events are dropped.
  struct ListenerToken {
    Mutex mu;
    JobTrackerLinks* links GUARDED_BY(mu) = nullptr;
  };

  JobTrackerLinksOptions options_;
  std::shared_ptr<ListenerToken> token_ = std::make_shared<ListenerToken>();
  net::EventLoopThread loop_thread_;
  net::EventLoop* loop_ = nullptr;
  std::unique_ptr<registry::Registry> owned_registry_;
  registry::Registry* registry_ = nullptr;
  bool started_ = false;
  mutable Mutex mu_;
  mutable CondVar ready_cv_;
  // Key: the JobTracker's identity (registry) or address (fixed list).
  std::map<std::string, std::shared_ptr<rpc::RpcClient>> links_ GUARDED_BY(mu_);
  uint64_t next_ GUARDED_BY(mu_) = 0;
};

}  // namespace lts::node
