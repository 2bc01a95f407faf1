#include "registry/embedded_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "base/mutex.h"
#include "base/no_destructor.h"
#include "base/string_util.h"

namespace lts::registry {
namespace internal {

// The shared state of every EmbeddedRegistry created with one name.
struct EmbeddedDomain {
  struct Entry {
    EmbeddedRegistry* owner;
    Node node;
  };
  struct Candidate {
    EmbeddedRegistry* owner;
    std::string identity;
  };
  struct Election {
    std::vector<Candidate> candidates;  // In campaign order; the first holds the term.
    std::string leader_identity;        // Of the current term ("" none).
    const EmbeddedRegistry* leader_owner = nullptr;
    int64_t epoch = 0;  // Of the current (or last) term.
  };
  using TypeKey = std::pair<std::string, NodeType>;                    // (cluster, type)
  using ElectionKey = std::tuple<std::string, NodeType, std::string>;  // + group

  Mutex mu;
  std::vector<EmbeddedRegistry*> members GUARDED_BY(mu);                 // Started, not stopped.
  std::map<TypeKey, std::map<std::string, Entry>> nodes GUARDED_BY(mu);  // By identity.
  std::map<ElectionKey, Election> elections GUARDED_BY(mu);
  std::map<EmbeddedRegistry*, std::string> member_cluster GUARDED_BY(mu);

  std::vector<Node> ListLocked(const TypeKey& key) REQUIRES(mu) {
    std::vector<Node> out;
    auto it = nodes.find(key);
    if (it == nodes.end()) return out;
    for (const auto& [identity, entry] : it->second) out.push_back(entry.node);
    return out;
  }

  void NotifyNodesLocked(const TypeKey& key) REQUIRES(mu) {
    std::vector<Node> list = ListLocked(key);
    for (EmbeddedRegistry* member : members) {
      if (member_cluster[member] == key.first && member->hub().IsSubscribed(key.second)) {
        member->hub().ApplySnapshot(key.second, list);
      }
    }
  }

  // Starts a new term if the first candidate is not the current leader, then tells every
  // candidate registry.
  void ElectLocked(const ElectionKey& key) REQUIRES(mu) {
    Election& e = elections[key];
    if (e.candidates.empty()) {
      e.leader_identity.clear();
      e.leader_owner = nullptr;
    } else if (e.leader_owner != e.candidates.front().owner ||
               e.leader_identity != e.candidates.front().identity) {
      e.leader_identity = e.candidates.front().identity;
      e.leader_owner = e.candidates.front().owner;
      ++e.epoch;
    }
    for (const Candidate& c : e.candidates) {
      MasterInfo info;
      if (!e.leader_identity.empty()) {
        info = MasterInfo{e.leader_identity, e.epoch, c.owner == e.leader_owner};
      }
      c.owner->hub().PublishMaster(std::get<1>(key), std::get<2>(key), info);
    }
  }

  void RemoveMemberLocked(EmbeddedRegistry* member) REQUIRES(mu) {
    members.erase(std::remove(members.begin(), members.end(), member), members.end());
    std::vector<TypeKey> touched;
    for (auto& [key, by_identity] : nodes) {
      const size_t before = by_identity.size();
      std::erase_if(by_identity, [member](const auto& kv) { return kv.second.owner == member; });
      if (by_identity.size() != before) touched.push_back(key);
    }
    for (const TypeKey& key : touched) NotifyNodesLocked(key);
    for (auto& [key, election] : elections) {
      const size_t before = election.candidates.size();
      std::erase_if(election.candidates,
                    [member](const Candidate& c) { return c.owner == member; });
      if (election.candidates.size() != before) ElectLocked(key);
    }
    member_cluster.erase(member);
  }
};

namespace {

std::shared_ptr<EmbeddedDomain> DomainNamed(const std::string& name) {
  static NoDestructor<Mutex> mu;
  static NoDestructor<std::map<std::string, std::weak_ptr<EmbeddedDomain>>> domains;
  MutexLock lock(mu.get());
  std::weak_ptr<EmbeddedDomain>& slot = (*domains)[name];
  std::shared_ptr<EmbeddedDomain> domain = slot.lock();
  if (!domain) {
    domain = std::make_shared<EmbeddedDomain>();
    slot = domain;
  }
  return domain;
}

}  // namespace
}  // namespace internal

EmbeddedRegistry::EmbeddedRegistry(std::string name, std::string cluster)
    : cluster_(std::move(cluster)), domain_(internal::DomainNamed(name)) {}

EmbeddedRegistry::~EmbeddedRegistry() { Stop(); }

Status EmbeddedRegistry::CheckStarted() const {
  if (state_.load() != 1) return FailedPrecondition("embedded registry: not started");
  return Status::Ok();
}

Status EmbeddedRegistry::Start() {
  int expected = 0;
  if (!state_.compare_exchange_strong(expected, 1)) {
    return FailedPrecondition("embedded registry: Start() called twice");
  }
  hub_.Start();
  {
    MutexLock lock(&domain_->mu);
    domain_->members.push_back(this);
    domain_->member_cluster[this] = cluster_;
  }
  hub_.PublishState(ConnectionState::kConnected);
  return Status::Ok();
}

void EmbeddedRegistry::Stop() {
  if (state_.exchange(2) == 1) {
    MutexLock lock(&domain_->mu);
    domain_->RemoveMemberLocked(this);
  }
  hub_.Stop();
}

Status EmbeddedRegistry::Register(const Node& node) {
  LTS_RETURN_IF_ERROR(CheckStarted());
  LTS_RETURN_IF_ERROR(node.Validate());
  if (node.cluster != cluster_) {
    return InvalidArgument(fmt::format("node cluster {} is not the registry's cluster {}",
                                       Quote(node.cluster), Quote(cluster_)));
  }
  MutexLock lock(&domain_->mu);
  internal::EmbeddedDomain::TypeKey key{cluster_, node.type};
  auto& by_identity = domain_->nodes[key];
  auto it = by_identity.find(node.identity);
  if (it != by_identity.end() && it->second.owner != this) {
    return AlreadyExists(
        fmt::format("node identity {} is registered by another registry", Quote(node.identity)));
  }
  by_identity.insert_or_assign(node.identity, internal::EmbeddedDomain::Entry{this, node});
  domain_->NotifyNodesLocked(key);
  return Status::Ok();
}

Status EmbeddedRegistry::Unregister(const Node& node) {
  LTS_RETURN_IF_ERROR(CheckStarted());
  MutexLock lock(&domain_->mu);
  internal::EmbeddedDomain::TypeKey key{cluster_, node.type};
  auto& by_identity = domain_->nodes[key];
  auto it = by_identity.find(node.identity);
  if (it == by_identity.end() || it->second.owner != this) {
    return NotFound(fmt::format("node {} is not registered here", Quote(node.identity)));
  }
  by_identity.erase(it);
  domain_->NotifyNodesLocked(key);
  return Status::Ok();
}

Status EmbeddedRegistry::Subscribe(NodeType type, NodeListener listener) {
  LTS_RETURN_IF_ERROR(CheckStarted());
  MutexLock lock(&domain_->mu);
  const bool first = !hub_.IsSubscribed(type);
  hub_.AddNodeListener(type, std::move(listener));
  if (first) hub_.ApplySnapshot(type, domain_->ListLocked({cluster_, type}));
  return Status::Ok();
}

StatusOr<std::vector<Node>> EmbeddedRegistry::List(NodeType type) {
  LTS_RETURN_IF_ERROR(CheckStarted());
  MutexLock lock(&domain_->mu);
  return domain_->ListLocked({cluster_, type});
}

Status EmbeddedRegistry::Campaign(NodeType type, const std::string& group,
                                  const std::string& identity, MasterListener listener) {
  LTS_RETURN_IF_ERROR(CheckStarted());
  LTS_RETURN_IF_ERROR(internal::CheckCampaignArgs(group, identity));
  MutexLock lock(&domain_->mu);
  internal::EmbeddedDomain::ElectionKey key{cluster_, type, group};
  auto& election = domain_->elections[key];
  for (const auto& c : election.candidates) {
    if (c.owner == this) {
      return AlreadyExists(
          fmt::format("campaign {}/{}: already campaigning", NodeTypeName(type), Quote(group)));
    }
  }
  hub_.AddMasterListener(type, group, std::move(listener));
  election.candidates.push_back({this, identity});
  domain_->ElectLocked(key);
  return Status::Ok();
}

StatusOr<std::optional<MasterInfo>> EmbeddedRegistry::Master(NodeType type,
                                                             const std::string& group) {
  LTS_RETURN_IF_ERROR(CheckStarted());
  MutexLock lock(&domain_->mu);
  auto it = domain_->elections.find({cluster_, type, group});
  if (it == domain_->elections.end() || it->second.leader_identity.empty()) {
    return std::optional<MasterInfo>();
  }
  const auto& e = it->second;
  return std::optional<MasterInfo>(MasterInfo{e.leader_identity, e.epoch, e.leader_owner == this});
}

void EmbeddedRegistry::AddStateListener(StateListener listener) {
  hub_.AddStateListener(std::move(listener));
}

}  // namespace lts::registry
