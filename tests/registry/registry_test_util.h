// Helpers for registry tests: a thread-safe recorder of everything listeners receive, sample
// nodes, and a unique cluster name per test so that tests sharing a server never meet.

#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "registry/registry.h"
#include "testing/test_env.h"

namespace lts::registry::testing {

// Generous: conditions normally hold within milliseconds; a slow machine must not fail a test.
inline constexpr std::chrono::milliseconds kWait{20000};

class Recorder {
 public:
  NodeListener NodeCallback() {
    return [this](const NodeEvent& event) {
      MutexLock lock(&mu_);
      events_.push_back(event);
    };
  }
  MasterListener MasterCallback() {
    return [this](const MasterInfo& master) {
      MutexLock lock(&mu_);
      masters_.push_back(master);
    };
  }
  StateListener StateCallback() {
    return [this](ConnectionState state) {
      MutexLock lock(&mu_);
      states_.push_back(state);
    };
  }

  std::vector<NodeEvent> events() const {
    MutexLock lock(&mu_);
    return events_;
  }
  std::vector<MasterInfo> masters() const {
    MutexLock lock(&mu_);
    return masters_;
  }
  std::vector<ConnectionState> states() const {
    MutexLock lock(&mu_);
    return states_;
  }
  // Events of `kind` about `identity`.
  int Count(NodeEvent::Kind kind, const std::string& identity) const {
    MutexLock lock(&mu_);
    int n = 0;
    for (const NodeEvent& e : events_) n += e.kind == kind && e.node.identity == identity;
    return n;
  }
  int CountState(ConnectionState state) const {
    MutexLock lock(&mu_);
    int n = 0;
    for (ConnectionState s : states_) n += s == state;
    return n;
  }
  // The last master received; empty identity if none yet.
  MasterInfo LastMaster() const {
    MutexLock lock(&mu_);
    return masters_.empty() ? MasterInfo{} : masters_.back();
  }
  // Identities present according to the add/remove events received so far.
  bool Present(const std::string& identity) const {
    MutexLock lock(&mu_);
    bool present = false;
    for (const NodeEvent& e : events_) {
      if (e.node.identity == identity) present = e.kind == NodeEvent::Kind::kAdd;
    }
    return present;
  }
  void Clear() {
    MutexLock lock(&mu_);
    events_.clear();
    masters_.clear();
    states_.clear();
  }

 private:
  mutable Mutex mu_;
  std::vector<NodeEvent> events_ GUARDED_BY(mu_);
  std::vector<MasterInfo> masters_ GUARDED_BY(mu_);
  std::vector<ConnectionState> states_ GUARDED_BY(mu_);
};

// "<prefix>_<pid>_<counter>": unique per process and call (prefix cut to 32 bytes).
inline std::string UniqueCluster(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix.substr(0, 32) + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

inline Node MakeNode(const std::string& cluster, NodeType type, const std::string& identity,
                     const std::string& group = "g1") {
  Node node;
  node.type = type;
  node.cluster = cluster;
  node.group = group;
  node.identity = identity;
  node.ip = "127.0.0.1";
  node.port = type == NodeType::kJobTracker ? 35001 : 0;
  node.threads = 8;
  node.create_time_ms = 1700000000000;
  return node;
}

inline bool Eventually(const std::function<bool()>& predicate) {
  return lts::testing::WaitFor(predicate, kWait);
}

}  // namespace lts::registry::testing
