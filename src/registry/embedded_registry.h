// EmbeddedRegistry: the registry of `lts standalone` and of unit tests. Everything lives in this
// process: instances created with the same embedded:// name share one domain (nodes and
// elections), so several nodes of one process see each other as if through a server. A node
// disappears when its registry unregisters it or stops; there are no sessions, so the
// connection is always kConnected. Masters: the first candidate of a (type, group) still in
// the election holds the term; the epoch goes up by one per term.
//
// Thread safety: as Registry. Lock order: domain lock, then an instance's EventHub lock.

#pragma once

#include <memory>
#include <string>

#include "registry/event_hub.h"
#include "registry/registry.h"

namespace lts::registry {

namespace internal {
struct EmbeddedDomain;
}  // namespace internal

class EmbeddedRegistry final : public Registry {
 public:
  // `name` selects the shared domain ("" is the default one).
  EmbeddedRegistry(std::string name, std::string cluster);
  ~EmbeddedRegistry() override;

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

  // Called by the domain, with the domain lock held.
  internal::EventHub& hub() { return hub_; }

 private:
  Status CheckStarted() const;

  const std::string cluster_;
  const std::shared_ptr<internal::EmbeddedDomain> domain_;
  internal::EventHub hub_;
  std::atomic<int> state_{0};  // 0 new, 1 started, 2 stopped.
};

}  // namespace lts::registry
